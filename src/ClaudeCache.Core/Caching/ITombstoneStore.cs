namespace ClaudeCache.Caching;

/// <summary>
/// A second tier that also remembers, for a while, why an entry went away (invalidated, evicted, expired), so that
/// every instance sharing it can tell a miss's reason (<c>x-cache-miss-reason</c>). Tombstones are bookkeeping:
/// bounded, expiring, and read only when a lookup found nothing. Failures are treated as "no tombstone".
/// </summary>
public interface ITombstoneStore
{
    /// <summary>Records that <paramref name="key"/> went away for <paramref name="reason"/>, remembered until <paramref name="until"/>.</summary>
    ValueTask SetTombstoneAsync(string key, MissReason reason, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>Why <paramref name="key"/> went away, or null when nothing is remembered.</summary>
    ValueTask<MissReason?> GetTombstoneAsync(string key, CancellationToken cancellationToken);
}
