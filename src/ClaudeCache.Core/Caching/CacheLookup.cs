using ClaudeCache.Entries;

namespace ClaudeCache.Caching;

/// <summary>What step 5 found under a key (<see cref="ResponseCache.LookupAsync"/>).</summary>
/// <param name="Entry">A fresh entry; or an expired one still kept for its grace; or null.</param>
/// <param name="IsFresh">True when <paramref name="Entry"/> is within its TTL: a hit.</param>
/// <param name="Reason">Why this is not a hit: <see cref="MissReason.Expired"/> with an expired entry, else what the cache remembers of the key, or <see cref="MissReason.New"/>.</param>
public readonly record struct CacheLookup(CachedResponse? Entry, bool IsFresh, MissReason Reason)
{
    /// <summary>The expired entry kept for its grace, when that is what was found.</summary>
    public CachedResponse? Stale => IsFresh ? null : Entry;
}
