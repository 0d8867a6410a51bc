using System.Buffers;
using ClaudeCache.Caching;

namespace ClaudeCache.Pipeline;

/// <summary>
/// Step 1's fast path: maps the bytes of a request already prepared, with the same key-relevant headers, to its
/// prepared form (key, policy), so a repeat skips parsing, validation, the content rules and the canonical key. Bounded
/// in entries and in bytes (least recently used out). A slot is found by the body's <see cref="BodyFingerprint"/> and
/// the facts; the body's bytes are then compared in full, so the memo can never give a request another request's key.
/// </summary>
public sealed class RequestMemo
{
    // Bodies are kept in chunks below the large-object threshold: a memoised 184 KB agent turn costs no LOH array.
    private const int ChunkBytes = 64 * 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<Slot, Entry> _entries = [];
    private readonly LinkedList<Entry> _recency = new();
    private readonly int _maxEntries;
    private readonly long _maxBytes;
    private long _bytes;
    private long _hits;
    private long _misses;

    /// <summary>Creates a memo of at most <paramref name="maxEntries"/> requests and <paramref name="maxBytes"/> body bytes (0: off).</summary>
    public RequestMemo(int maxEntries, long maxBytes)
    {
        _maxEntries = Math.Max(0, maxEntries);
        _maxBytes = Math.Max(0, maxBytes);
    }

    /// <summary>Whether the memo holds anything at all (off when either bound is 0).</summary>
    public bool Enabled => _maxEntries > 0 && _maxBytes > 0;

    /// <summary>Requests answered from the memo.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Requests that took the full path (while the memo is on).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Entries held.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Body bytes held.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    internal PreparedRequest? TryGet(ulong fingerprint, in MemoFacts facts, ReadOnlySequence<byte> body)
    {
        if (!Enabled)
        {
            return null;
        }

        Entry? entry;
        lock (_lock)
        {
            if (_entries.TryGetValue(new Slot(fingerprint, body.Length, facts), out entry))
            {
                _recency.Remove(entry.Node);
                _recency.AddFirst(entry.Node);
            }
        }

        // The chunks are never written after the entry is made, so they are compared outside the lock.
        if (entry is not null && entry.BodyEquals(body))
        {
            Interlocked.Increment(ref _hits);
            return entry.Prepared;
        }

        Interlocked.Increment(ref _misses);
        return null;
    }

    internal void Add(ulong fingerprint, in MemoFacts facts, ReadOnlySequence<byte> body, PreparedRequest prepared)
    {
        // One body may not crowd out the rest: larger ones take the full path every time.
        if (!Enabled || body.Length > _maxBytes / 16)
        {
            return;
        }

        var slot = new Slot(fingerprint, body.Length, facts);
        var entry = new Entry(slot, Copy(body), prepared);
        lock (_lock)
        {
            if (_entries.Remove(slot, out var previous))
            {
                // Same fingerprint and facts, different bytes (or a race to add the same): the newest wins the slot.
                Drop(previous);
            }

            _entries[slot] = entry;
            _recency.AddFirst(entry.Node);
            _bytes += body.Length;
            while (_entries.Count > _maxEntries || _bytes > _maxBytes)
            {
                var last = _recency.Last!.Value;
                _entries.Remove(last.Slot);
                Drop(last);
            }
        }
    }

    private void Drop(Entry entry)
    {
        _recency.Remove(entry.Node);
        _bytes -= entry.Slot.Length;
    }

    private static byte[][] Copy(ReadOnlySequence<byte> body)
    {
        var chunks = new byte[(int)((body.Length + ChunkBytes - 1) / ChunkBytes)][];
        var reader = body;
        for (var i = 0; i < chunks.Length; i++)
        {
            var size = (int)Math.Min(ChunkBytes, reader.Length);
            // On the pinned-object heap: kept bodies live long, and there they are never copied from generation to generation.
            chunks[i] = GC.AllocateUninitializedArray<byte>(size, pinned: true);
            reader.Slice(0, size).CopyTo(chunks[i]);
            reader = reader.Slice(size);
        }

        return chunks;
    }

    private readonly record struct Slot(ulong Fingerprint, long Length, MemoFacts Facts);

    private sealed class Entry
    {
        private readonly byte[][] _chunks;

        public Entry(Slot slot, byte[][] chunks, PreparedRequest prepared)
        {
            Slot = slot;
            _chunks = chunks;
            Prepared = prepared;
            Node = new LinkedListNode<Entry>(this);
        }

        public Slot Slot { get; }

        public PreparedRequest Prepared { get; }

        public LinkedListNode<Entry> Node { get; }

        public bool BodyEquals(ReadOnlySequence<byte> body)
        {
            if (body.Length != Slot.Length)
            {
                return false;
            }

            var chunk = 0;
            var offset = 0;
            foreach (var segment in body)
            {
                var span = segment.Span;
                while (!span.IsEmpty)
                {
                    var stored = _chunks[chunk].AsSpan(offset);
                    var n = Math.Min(stored.Length, span.Length);
                    if (!span[..n].SequenceEqual(stored[..n]))
                    {
                        return false;
                    }

                    span = span[n..];
                    offset += n;
                    if (offset == _chunks[chunk].Length)
                    {
                        chunk++;
                        offset = 0;
                    }
                }
            }

            return true;
        }
    }
}
