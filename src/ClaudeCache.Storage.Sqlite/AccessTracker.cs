using System.Collections.Concurrent;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>
/// Access times waiting to be written. A hit must not pay for a write (a write takes the file's single write lock
/// and fsyncs on checkpoint), so reads only note the time here and the store writes them in one batch: before each
/// cleanup (which is the only reader of <c>last_access</c>), when the batch grows large, and on dispose.
/// A key is noted at most once per <see cref="Resolution"/>: eviction order only needs to be right to about a
/// minute, a small fraction of the shortest TTL (five minutes).
/// </summary>
internal sealed class AccessTracker
{
    /// <summary>How stale a stored access time may be before a read notes a new one.</summary>
    internal static readonly TimeSpan Resolution = TimeSpan.FromMinutes(1);

    /// <summary>The batch size that starts a flush without waiting for cleanup.</summary>
    internal const int FlushThreshold = 1024;

    private readonly ConcurrentDictionary<string, long> _pending = new(StringComparer.Ordinal);

    // ConcurrentDictionary.Count takes every lock; the hot path keeps its own count.
    private int _count;

    internal int Count => Volatile.Read(ref _count);

    /// <summary>Whether a read that found <paramref name="lastAccess"/> at <paramref name="now"/> should note an access.</summary>
    internal static bool IsStale(long lastAccess, long now) => now - lastAccess >= (long)Resolution.TotalMilliseconds;

    /// <summary>Notes an access; returns true when the batch is large enough to flush.</summary>
    internal bool Record(string key, long now)
    {
        if (_pending.TryAdd(key, now))
        {
            return Interlocked.Increment(ref _count) >= FlushThreshold;
        }

        _pending[key] = now;
        return false;
    }

    /// <summary>Removes and returns every noted access.</summary>
    internal List<KeyValuePair<string, long>> Drain()
    {
        var drained = new List<KeyValuePair<string, long>>(_pending.Count);
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out var time))
            {
                Interlocked.Decrement(ref _count);
                drained.Add(new(key, time));
            }
        }

        return drained;
    }
}
