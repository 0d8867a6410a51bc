using ClaudeCache.Entries;

namespace ClaudeCache.Caching;

/// <summary>
/// The last decoded entries of the memory tier, one per slot of a small direct-mapped table, each paired with the
/// exact payload array the tier held when it was decoded. A hit whose payload is that same array skips the checksum
/// and the zstd decode; a payload that was replaced, removed or expired is a different array (or none), so the memo
/// never serves what the tier does not hold. Bounded in bytes (payload + decoded body + bookkeeping).
/// </summary>
internal sealed class DecodedEntryMemo
{
    // Object headers, the slot, the entry record and its strings: a rough upper bound, counted per slot.
    private const int SlotOverheadBytes = 512;

    private readonly Slot?[] _slots;
    private readonly int _mask;
    private readonly long _maxBytes;
    private readonly long _maxEntryBytes;
    private long _bytes;

    /// <summary>A memo of at most <paramref name="maxBytes"/>; one slot per ~4 KB of budget (16 to 4,096 slots).</summary>
    public DecodedEntryMemo(long maxBytes)
    {
        _maxBytes = maxBytes;
        // One entry may take at most an eighth of the budget: a few large answers cannot crowd out the rest.
        _maxEntryBytes = maxBytes / 8;
        var slots = (int)Math.Clamp(System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, maxBytes / 4096)), 16, 4096);
        _slots = new Slot?[slots];
        _mask = slots - 1;
    }

    /// <summary>Bytes currently held (approximate).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The entry decoded from exactly <paramref name="payload"/>, if memoised.</summary>
    public CachedResponse? Get(int hash, byte[] payload)
    {
        var slot = Volatile.Read(ref _slots[hash & _mask]);
        return slot is not null && ReferenceEquals(slot.Payload, payload) ? slot.Entry : null;
    }

    /// <summary>Remembers the entry decoded from <paramref name="payload"/>, when it fits the budget.</summary>
    public void Add(int hash, byte[] payload, CachedResponse entry)
    {
        long size = payload.Length + entry.Body.Length + entry.RawSse.Length + SlotOverheadBytes;
        if (size > _maxEntryBytes)
        {
            return;
        }

        var index = hash & _mask;
        var slot = new Slot(payload, entry, size);
        var old = Interlocked.Exchange(ref _slots[index], slot);
        if (Interlocked.Add(ref _bytes, size - (old?.Bytes ?? 0)) <= _maxBytes)
        {
            return;
        }

        // Over budget: take ours back out, and free the next slot so that the memo keeps turning over.
        Release(index, slot);
        var next = (index + 1) & _mask;
        if (Volatile.Read(ref _slots[next]) is { } neighbour)
        {
            Release(next, neighbour);
        }
    }

    private void Release(int index, Slot slot)
    {
        if (ReferenceEquals(Interlocked.CompareExchange(ref _slots[index], null, slot), slot))
        {
            Interlocked.Add(ref _bytes, -slot.Bytes);
        }
    }

    private sealed record Slot(byte[] Payload, CachedResponse Entry, long Bytes);
}
