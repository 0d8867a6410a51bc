namespace ClaudeCache.Caching;

/// <summary>
/// Where a second tier keeps the zstd dictionaries trained on its entries, so that entries compressed with one
/// stay readable after a restart and by every instance sharing the store. Implemented by the SQLite and Redis
/// tiers. A dictionary holds fragments of cached responses: it lives with the entries and is never served.
/// </summary>
public interface IDictionaryStore
{
    /// <summary>Every stored dictionary.</summary>
    ValueTask<IReadOnlyList<StoredDictionary>> LoadDictionariesAsync(CancellationToken cancellationToken);

    /// <summary>One dictionary by id, or null when the store does not have it.</summary>
    ValueTask<StoredDictionary?> GetDictionaryAsync(uint id, CancellationToken cancellationToken);

    /// <summary>Stores a dictionary; a dictionary already stored under the same id is kept as it is.</summary>
    ValueTask SaveDictionaryAsync(StoredDictionary dictionary, CancellationToken cancellationToken);

    /// <summary>Removes a dictionary; no error when it is absent.</summary>
    ValueTask RemoveDictionaryAsync(uint id, CancellationToken cancellationToken);

    /// <summary>
    /// Claims the next training round for <paramref name="owner"/> among every instance sharing the store, for
    /// <paramref name="lease"/>: one instance trains per retrain interval, and the others adopt its dictionary. The
    /// claim expires by itself (an instance that dies mid-round blocks nobody for longer).
    /// </summary>
    /// <returns>True when the claim is this caller's; false when another instance's claim is still running.</returns>
    ValueTask<bool> TryClaimTrainingAsync(string owner, TimeSpan lease, CancellationToken cancellationToken);
}
