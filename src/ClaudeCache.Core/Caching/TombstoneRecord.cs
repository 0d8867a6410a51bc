namespace ClaudeCache.Caching;

/// <summary>
/// This instance's bounded memory of why entries went away (invalidated, evicted, expired), by key: the least recently
/// recorded key is forgotten first, so it never holds more than its capacity. A forgotten key's miss reads as "new".
/// </summary>
internal sealed class TombstoneRecord(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, MissReason Reason)>> _index = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, MissReason Reason)> _order = new();

    /// <summary>Keys remembered.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _index.Count;
            }
        }
    }

    /// <summary>Remembers why <paramref name="key"/> went away (replacing an earlier reason).</summary>
    public void Record(string key, MissReason reason)
    {
        if (capacity <= 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_index.Remove(key, out var existing))
            {
                _order.Remove(existing);
            }

            _index[key] = _order.AddFirst((key, reason));
            if (_index.Count > capacity)
            {
                var oldest = _order.Last!;
                _order.RemoveLast();
                _index.Remove(oldest.Value.Key);
            }
        }
    }

    /// <summary>Forgets <paramref name="key"/> (an answer was stored under it again).</summary>
    public void Forget(string key)
    {
        lock (_gate)
        {
            if (_index.Remove(key, out var existing))
            {
                _order.Remove(existing);
            }
        }
    }

    /// <summary>Why <paramref name="key"/> went away, or null.</summary>
    public MissReason? Get(string key)
    {
        lock (_gate)
        {
            return _index.TryGetValue(key, out var node) ? node.Value.Reason : null;
        }
    }
}
