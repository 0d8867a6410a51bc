using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Keys;

namespace ClaudeCache.Extensions.AI.Chat;

/// <summary>
/// The last decoded entries, one per slot of a small direct-mapped table, each paired with the exact payload
/// array the memory tier holds. A hit whose payload is the same array skips decompression; a payload that was
/// replaced, removed or expired no longer matches, so the memo never serves what the tier does not hold.
/// </summary>
/// <remarks>
/// The memory tier keeps entries compressed (decision 0001); decoding is the largest part of an in-process hit.
/// 256 slots bound the extra memory to a few hundred decoded answers, whatever the tier's size.
/// </remarks>
internal sealed class DecodedEntryMemo(ResponseCache cache, TimeProvider time)
{
    private const int Slots = 256;

    private readonly Slot?[] _slots = new Slot?[Slots];

    /// <summary>The entry for <paramref name="key"/>: from the memo, the memory tier, or the second tier.</summary>
    public async ValueTask<CachedResponse?> GetAsync(CacheKey key, CancellationToken cancellationToken)
    {
        var payload = cache.Memory.Get(key.ToHex(), time.GetUtcNow());
        if (payload is null)
        {
            // Not in memory: the cache reads the second tier and promotes; the next hit is memoised.
            return await cache.GetAsync(key, cancellationToken).ConfigureAwait(false);
        }

        var index = key.GetHashCode() & (Slots - 1);
        var slot = Volatile.Read(ref _slots[index]);
        if (slot is not null && ReferenceEquals(slot.Payload, payload))
        {
            return slot.Entry;
        }

        if (EntryCodec.TryDecode(payload, out var entry) != DecodeStatus.Ok || entry is null)
        {
            // Damaged: the cache's own path discards it and counts it.
            return await cache.GetAsync(key, cancellationToken).ConfigureAwait(false);
        }

        Volatile.Write(ref _slots[index], new Slot(payload, entry));
        return entry;
    }

    private sealed record Slot(byte[] Payload, CachedResponse Entry);
}
