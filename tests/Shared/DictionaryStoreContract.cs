using ClaudeCache.Caching;

namespace ClaudeCache.Tests.Shared;

/// <summary>
/// The <see cref="IDictionaryStore"/> contract, run against each store (linked into the SQLite and Redis test
/// projects): what is saved reads back whole, under unsigned ids, from another instance or after a reopen; a second
/// save under an id keeps the first; a missing id is null; removing is idempotent.
/// </summary>
internal static class DictionaryStoreContract
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <param name="store">An empty store.</param>
    /// <param name="reopen">Another view of the same data: the file reopened, or another instance's connection.</param>
    /// <param name="now">The time dictionaries are created at.</param>
    public static async Task SaveLoadGetRemoveAsync(IDictionaryStore store, Func<Task<IDictionaryStore>> reopen, DateTimeOffset now)
    {
        // An id above int.MaxValue: ids are unsigned and must not come back negative or truncated.
        var small = new StoredDictionary(7, Payload(4096, seed: 1), now.AddMinutes(-5));
        var large = new StoredDictionary(0xF000_0001, Payload(3000, seed: 2), now);

        await store.SaveDictionaryAsync(small, Token);
        await store.SaveDictionaryAsync(large, Token);

        AssertSame(small, await store.GetDictionaryAsync(small.Id, Token));
        AssertSame(large, await store.GetDictionaryAsync(large.Id, Token));
        AssertSameSet([small, large], await store.LoadDictionariesAsync(Token));

        var again = await reopen();
        AssertSameSet([small, large], await again.LoadDictionariesAsync(Token));

        await again.RemoveDictionaryAsync(small.Id, Token);
        await again.RemoveDictionaryAsync(small.Id, Token); // absent: no error
        await again.RemoveDictionaryAsync(12345, Token); // never stored: no error

        Assert.Null(await again.GetDictionaryAsync(small.Id, Token));
        AssertSame(large, await again.GetDictionaryAsync(large.Id, Token));
        AssertSameSet([large], await again.LoadDictionariesAsync(Token));
    }

    public static async Task SaveTwiceKeepsTheFirstAsync(IDictionaryStore store, DateTimeOffset now)
    {
        var first = new StoredDictionary(42, Payload(2000, seed: 1), now);
        var second = new StoredDictionary(42, Payload(2500, seed: 9), now.AddHours(1));

        await store.SaveDictionaryAsync(first, Token);
        await store.SaveDictionaryAsync(second, Token);

        AssertSame(first, await store.GetDictionaryAsync(42, Token));
        AssertSame(first, Assert.Single(await store.LoadDictionariesAsync(Token)));
    }

    public static async Task MissingIdIsNullAsync(IDictionaryStore store, DateTimeOffset now)
    {
        Assert.Null(await store.GetDictionaryAsync(1, Token));
        Assert.Empty(await store.LoadDictionariesAsync(Token));

        await store.SaveDictionaryAsync(new StoredDictionary(1, Payload(100, seed: 1), now), Token);

        Assert.Null(await store.GetDictionaryAsync(2, Token));
        Assert.Null(await store.GetDictionaryAsync(uint.MaxValue, Token));
    }

    public static void AssertSame(StoredDictionary expected, StoredDictionary? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Bytes, actual.Bytes);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
    }

    public static void AssertSameSet(StoredDictionary[] expected, IReadOnlyList<StoredDictionary> actual)
    {
        Assert.Equal(expected.Select(d => d.Id).Order(), actual.Select(d => d.Id).Order());
        foreach (var dictionary in expected)
        {
            AssertSame(dictionary, actual.Single(d => d.Id == dictionary.Id));
        }
    }

    /// <summary>Deterministic bytes standing in for a dictionary (the store does not look inside).</summary>
    public static byte[] Payload(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
