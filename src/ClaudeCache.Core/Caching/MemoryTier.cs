using Microsoft.Extensions.Caching.Memory;

namespace ClaudeCache.Caching;

/// <summary>
/// The first tier: encoded entries in process memory, bounded in bytes. Entries stay compressed here too, which
/// keeps a thousand cached requests within a few megabytes; decoding on a hit costs microseconds.
/// </summary>
/// <remarks>
/// An entry past its TTL may be kept for its grace (docs/serve-stale.md): <see cref="Get"/> returns it until then,
/// and the caller tells fresh from stale by the entry's own expiry. A kept entry found expired is demoted to low
/// priority, so under size pressure it goes before fresh ones.
/// </remarks>
public sealed class MemoryTier : IDisposable
{
    // Bookkeeping per entry in MemoryCache (entry object, key string, dictionary slot), so many tiny entries
    // cannot exceed the byte bound unnoticed.
    private const int EntryOverheadBytes = 256;

    private readonly MemoryCache _cache;
    private readonly long _maxBytes;

    /// <summary>Creates a tier bounded to <paramref name="maxBytes"/>.</summary>
    public MemoryTier(long maxBytes)
    {
        _maxBytes = maxBytes;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = maxBytes, CompactionPercentage = 0.25, TrackStatistics = true });
    }

    /// <summary>Number of entries held.</summary>
    public int Count => _cache.Count;

    /// <summary>Approximate bytes held.</summary>
    public long Bytes => _cache.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    /// <summary>
    /// Called with the key of an entry dropped for room (<see cref="MissReason.Evicted"/>) or found past its keep time
    /// (<see cref="MissReason.Expired"/>), not one removed or replaced: the miss-reason bookkeeping listens.
    /// </summary>
    public Action<string, MissReason>? Dropped { get; set; }

    /// <summary>Returns the encoded entry when present and kept at <paramref name="now"/> (fresh, or expired within its grace).</summary>
    public byte[]? Get(string key, DateTimeOffset now)
    {
        if (!_cache.TryGetValue(key, out MemoryEntry? entry) || entry is null)
        {
            return null;
        }

        if (entry.KeepUntil <= now)
        {
            _cache.Remove(key);
            Dropped?.Invoke(key, MissReason.Expired);
            return null;
        }

        return entry.Payload;
    }

    /// <summary>
    /// Adds or replaces an entry served until <paramref name="expiresAt"/> and dropped then, with the
    /// <paramref name="metadata"/> a purge selects it by (null for an entry promoted from the second tier: the store's
    /// index finds that one).
    /// </summary>
    public void Set(string key, byte[] payload, DateTimeOffset expiresAt, DateTimeOffset now, EntryMetadata? metadata = null) =>
        Set(key, payload, expiresAt, expiresAt, now, metadata);

    /// <summary>
    /// Adds or replaces an entry fresh until <paramref name="expiresAt"/> and kept (to answer as stale) until
    /// <paramref name="keepUntil"/>; one already expired goes in at low priority.
    /// </summary>
    public void Set(string key, byte[] payload, DateTimeOffset expiresAt, DateTimeOffset keepUntil, DateTimeOffset now, EntryMetadata? metadata = null)
    {
        var keepUntilOrExpiry = keepUntil > expiresAt ? keepUntil : expiresAt;
        var ttl = keepUntilOrExpiry - now;
        var size = payload.Length + EntryOverheadBytes;
        if (ttl <= TimeSpan.Zero || size > _maxBytes)
        {
            // Larger than the whole tier: never admitted (not "evicted").
            return;
        }

        using var cacheEntry = _cache.CreateEntry(key);
        var low = expiresAt <= now;
        cacheEntry.Value = new MemoryEntry(payload, expiresAt, keepUntilOrExpiry, low, metadata);
        cacheEntry.Size = size;
        cacheEntry.Priority = low ? CacheItemPriority.Low : CacheItemPriority.Normal;
        // The tier's own clock bounds lifetime too; the authoritative check is the TimeProvider one in Get.
        cacheEntry.AbsoluteExpirationRelativeToNow = ttl;
        cacheEntry.RegisterPostEvictionCallback(static (evictedKey, _, reason, state) =>
        {
            if (reason == EvictionReason.Capacity && state is MemoryTier tier)
            {
                tier.Dropped?.Invoke((string)evictedKey, MissReason.Evicted);
            }
        }, this);
    }

    /// <summary>
    /// The keys of the entries (fresh, or kept for their grace) this tier holds with metadata matching <paramref name="filter"/>: one pass
    /// over the tier, bounded by its size, for a purge (off the request path).
    /// </summary>
    public HashSet<string> Matching(PurgeFilter filter, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in _cache.Keys)
        {
            if (key is string hex && _cache.TryGetValue(key, out MemoryEntry? entry) && entry?.Metadata is { } metadata
                && entry.KeepUntil > now && filter.Matches(metadata))
            {
                keys.Add(hex);
            }
        }

        return keys;
    }

    /// <summary>Moves an entry found expired (kept for its grace) to low priority: under size pressure it goes first.</summary>
    public void Demote(string key, DateTimeOffset now)
    {
        if (_cache.TryGetValue(key, out MemoryEntry? entry) && entry is not null && entry.ExpiresAt <= now && entry.KeepUntil > now && !entry.Low)
        {
            Set(key, entry.Payload, entry.ExpiresAt, entry.KeepUntil, now, entry.Metadata);
        }
    }

    /// <summary>True when the entry is held at low priority (expired, kept for its grace): compaction takes it first (tests).</summary>
    internal bool IsLowPriority(string key) => _cache.TryGetValue(key, out MemoryEntry? entry) && entry is { Low: true };

    /// <summary>Removes an entry.</summary>
    public void Remove(string key) => _cache.Remove(key);

    /// <summary>Drops every entry (used when a test or an operator clears the cache).</summary>
    public void Clear() => _cache.Clear();

    /// <inheritdoc />
    public void Dispose() => _cache.Dispose();

    // Low: inserted at low priority (already expired), so demoting it again would only churn.
    private sealed record MemoryEntry(byte[] Payload, DateTimeOffset ExpiresAt, DateTimeOffset KeepUntil, bool Low, EntryMetadata? Metadata);
}
