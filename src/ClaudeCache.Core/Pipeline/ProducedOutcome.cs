using ClaudeCache.Caching;
using ClaudeCache.Entries;

namespace ClaudeCache.Pipeline;

/// <summary>
/// The outcome of <see cref="CacheEngine.GetOrProduceAsync"/>: a stored answer, or a flight to follow (led or joined),
/// with the caller's <see cref="CacheStatus"/> decided by the rules every request path uses.
/// </summary>
/// <param name="Status">Hit for a stored answer or a share of a call in flight; the leader's policy status otherwise.</param>
/// <param name="Coalesced">True when this caller shares another caller's call.</param>
/// <param name="Entry">The stored answer (a hit from the lookup), or null.</param>
/// <param name="Flight">The flight to follow when there was no stored answer.</param>
public sealed record ProducedOutcome(CacheStatus Status, bool Coalesced, CachedResponse? Entry, Flight? Flight)
{
    /// <summary>
    /// The status once the flight's head is known: an answer another instance stored is a hit, a share of a call
    /// that failed is a miss.
    /// </summary>
    public CacheStatus StatusOnce(FlightHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        return CacheStatusRules.Answered(Status, Coalesced, head);
    }
}
