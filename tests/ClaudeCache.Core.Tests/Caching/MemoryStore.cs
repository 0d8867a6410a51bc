using System.Collections.Concurrent;
using ClaudeCache.Caching;

namespace ClaudeCache.Tests.Caching;

/// <summary>
/// A second tier and dictionary store in a dictionary, shared by several caches as a Redis or SQLite store would
/// be; it can be told to refuse dictionary writes or reads.
/// </summary>
internal sealed class MemoryStore : ISecondTier, IDictionaryStore
{
    private readonly ConcurrentDictionary<string, byte[]> _entries = new();
    private readonly ConcurrentDictionary<uint, StoredDictionary> _dictionaries = new();

    public bool FailDictionarySaves { get; set; }

    public bool FailDictionaryReads { get; set; }

    public int DictionaryReads { get; private set; }

    public IReadOnlyCollection<StoredDictionary> Dictionaries => [.. _dictionaries.Values];

    public IReadOnlyDictionary<string, byte[]> Entries => _entries;

    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_entries.TryGetValue(key, out var payload) ? payload : null);

    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        _entries[key] = payload.ToArray();
        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken)
    {
        _entries.TryRemove(key, out _);
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<StoredDictionary>> LoadDictionariesAsync(CancellationToken cancellationToken) =>
        FailDictionaryReads
            ? throw new TimeoutException("store too slow")
            : ValueTask.FromResult<IReadOnlyList<StoredDictionary>>([.. _dictionaries.Values]);

    public ValueTask<StoredDictionary?> GetDictionaryAsync(uint id, CancellationToken cancellationToken)
    {
        DictionaryReads++;
        if (FailDictionaryReads)
        {
            throw new TimeoutException("store too slow");
        }

        return ValueTask.FromResult(_dictionaries.TryGetValue(id, out var dictionary) ? dictionary : null);
    }

    public ValueTask SaveDictionaryAsync(StoredDictionary dictionary, CancellationToken cancellationToken)
    {
        if (FailDictionarySaves)
        {
            throw new IOException("disk full");
        }

        _dictionaries.TryAdd(dictionary.Id, dictionary);
        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveDictionaryAsync(uint id, CancellationToken cancellationToken)
    {
        _dictionaries.TryRemove(id, out _);
        return ValueTask.CompletedTask;
    }

    /// <summary>Claims held, by owner, with when they end (on the caller's clock: the lease is what matters here).</summary>
    private readonly Dictionary<string, DateTimeOffset> _claims = [];

    public TimeProvider Clock { get; set; } = TimeProvider.System;

    public ValueTask<bool> TryClaimTrainingAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        lock (_claims)
        {
            var now = Clock.GetUtcNow();
            if (_claims.Any(c => c.Key != owner && c.Value > now))
            {
                return ValueTask.FromResult(false);
            }

            _claims.Clear();
            _claims[owner] = now + lease;
            return ValueTask.FromResult(true);
        }
    }
}
