using ClaudeCache.Caching;

namespace ClaudeCache.Pipeline;

/// <summary>
/// The rules that give a caller of a flight its <see cref="CacheStatus"/>, in one place for every request path
/// (<see cref="CacheEngine.HandleAsync"/> and <see cref="CacheEngine.GetOrProduceAsync"/>).
/// </summary>
internal static class CacheStatusRules
{
    /// <summary>
    /// A caller's status once it has its place in a flight: a follower shares another caller's call (a hit); a
    /// leader's status is its policy's (bypass when it may not store, refresh when it skipped the lookup, else miss).
    /// </summary>
    public static CacheStatus OfCaller(bool isLeader, bool store, bool lookup) =>
        !isLeader ? CacheStatus.Hit : !store ? CacheStatus.Bypass : lookup ? CacheStatus.Miss : CacheStatus.Refresh;

    /// <summary>
    /// The status once the flight's head is known: an answer another instance stored is a hit; a share of a call that
    /// failed is a miss (it got no cached answer).
    /// </summary>
    public static CacheStatus Answered(CacheStatus status, bool coalesced, FlightHead head) =>
        head.FromCache ? CacheStatus.Hit : coalesced && head.StatusCode != 200 ? CacheStatus.Miss : status;
}
