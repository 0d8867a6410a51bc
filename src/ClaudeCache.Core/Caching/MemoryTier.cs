using Microsoft.Extensions.Caching.Memory;

namespace ClaudeCache.Caching;

/// <summary>
/// The first tier: encoded entries in process memory, bounded in bytes. Entries stay compressed here too, which
/// keeps a thousand cached requests within a few megabytes; decoding on a hit costs microseconds.
/// </summary>
public sealed class MemoryTier : IDisposable
{
    // Bookkeeping per entry in MemoryCache (entry object, key string, dictionary slot), so many tiny entries
    // cannot exceed the byte bound unnoticed.
    private const int EntryOverheadBytes = 256;

    private readonly MemoryCache _cache;

    /// <summary>Creates a tier bounded to <paramref name="maxBytes"/>.</summary>
    public MemoryTier(long maxBytes) =>
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = maxBytes, CompactionPercentage = 0.25, TrackStatistics = true });

    /// <summary>Number of entries held.</summary>
    public int Count => _cache.Count;

    /// <summary>Approximate bytes held.</summary>
    public long Bytes => _cache.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    /// <summary>Returns the encoded entry when present and not expired at <paramref name="now"/>.</summary>
    public byte[]? Get(string key, DateTimeOffset now)
    {
        if (!_cache.TryGetValue(key, out MemoryEntry? entry) || entry is null)
        {
            return null;
        }

        if (entry.ExpiresAt <= now)
        {
            _cache.Remove(key);
            return null;
        }

        return entry.Payload;
    }

    /// <summary>
    /// Adds or replaces an entry, with the <paramref name="metadata"/> a purge selects it by (null for an entry
    /// promoted from the second tier: the store's index finds that one).
    /// </summary>
    public void Set(string key, byte[] payload, DateTimeOffset expiresAt, DateTimeOffset now, EntryMetadata? metadata = null)
    {
        var ttl = expiresAt - now;
        if (ttl <= TimeSpan.Zero)
        {
            return;
        }

        using var cacheEntry = _cache.CreateEntry(key);
        cacheEntry.Value = new MemoryEntry(payload, expiresAt, metadata);
        cacheEntry.Size = payload.Length + EntryOverheadBytes;
        // The tier's own clock bounds lifetime too; the authoritative check is the TimeProvider one in Get.
        cacheEntry.AbsoluteExpirationRelativeToNow = ttl;
    }

    /// <summary>
    /// The keys of the unexpired entries this tier holds with metadata matching <paramref name="filter"/>: one pass
    /// over the tier, bounded by its size, for a purge (off the request path).
    /// </summary>
    public HashSet<string> Matching(PurgeFilter filter, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in _cache.Keys)
        {
            if (key is string hex && _cache.TryGetValue(key, out MemoryEntry? entry) && entry?.Metadata is { } metadata
                && entry.ExpiresAt > now && filter.Matches(metadata))
            {
                keys.Add(hex);
            }
        }

        return keys;
    }

    /// <summary>Removes an entry.</summary>
    public void Remove(string key) => _cache.Remove(key);

    /// <summary>Drops every entry (used when a test or an operator clears the cache).</summary>
    public void Clear() => _cache.Clear();

    /// <inheritdoc />
    public void Dispose() => _cache.Dispose();

    private sealed record MemoryEntry(byte[] Payload, DateTimeOffset ExpiresAt, EntryMetadata? Metadata);
}
