using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Storage.Redis;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Time.Testing;
using static ClaudeCache.Tests.Shared.CorpusEntries;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>
/// Two instances sharing one Redis: one trains a dictionary on the answer corpus and stores an entry compressed with
/// it; the other, started before the dictionary existed, reads that entry by loading the dictionary by id. Run on a
/// standalone server and on a cluster; its pieces (caches, training, corpus entries) serve the other dictionary tests.
/// </summary>
internal static class SharedDictionaryScenario
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>Runs the scenario on the Redis (standalone or cluster) that <paramref name="configuration"/> names.</summary>
    public static async Task RunAsync(string configuration)
    {
        var time = new FakeTimeProvider(Start);
        var options = TestRedis.Options(configuration);
        await using var connectionA = new RedisConnection(options);
        await using var connectionB = new RedisConnection(options);
        await connectionA.ConnectAsync(Token);
        await connectionB.ConnectAsync(Token);

        // B starts first: its start-up load finds no dictionary.
        await using var b = NewCache(connectionB, time);
        await b.WhenDictionariesIdleAsync();
        Assert.Same(EntryDictionary.Shipped, b.Dictionaries.Active);
        Assert.Equal(1, b.Dictionaries.Count);

        await using var a = NewCache(connectionA, time);
        var trained = await TrainAsync(a, time);

        var key = Key("held-out:" + HeldOut[0].Name);
        var entry = Entry(HeldOut[0], time.GetUtcNow());
        a.Set(key, entry);
        await a.FlushAsync(Token);
        var payload = await a.SecondTier!.GetAsync(key.ToHex(), Token);
        Assert.NotNull(payload);
        Assert.True(EntryCodec.TryGetDictionaryId(payload, out var named));
        Assert.Equal(trained.Id, named);
        Assert.False(b.Dictionaries.TryGet(trained.Id, out _));

        var hit = await b.GetAsync(key, Token);

        Assert.NotNull(hit);
        Assert.Equal(entry.Body.ToArray(), hit.Body.ToArray());
        Assert.Equal(entry.ContextType, hit.ContextType);
        Assert.True(b.Dictionaries.TryGet(trained.Id, out var loaded));
        Assert.Equal(trained.Bytes, loaded.Bytes);
        Assert.Same(loaded, b.Dictionaries.Active);

        // The entry stays in Redis, and B's own new entries now use A's dictionary.
        Assert.Equal(payload, await b.SecondTier!.GetAsync(key.ToHex(), Token));
        var next = Key("written-by-b");
        b.Set(next, Entry(HeldOut[1], time.GetUtcNow()));
        await b.FlushAsync(Token);
        Assert.True(EntryCodec.TryGetDictionaryId((await b.SecondTier.GetAsync(next.ToHex(), Token))!, out var usedByB));
        Assert.Equal(trained.Id, usedByB);
    }

    /// <summary>A cache on its own tier over <paramref name="connection"/>, training after the 60 stored answers.</summary>
    public static ResponseCache NewCache(RedisConnection connection, TimeProvider time) =>
        new(TrainAfterStored(), new RedisSecondTier(connection, time), time, new ClaudeCacheMetrics());

    /// <summary>Stores the 60 answers that are not held out, and returns the dictionary trained on them, saved and adopted.</summary>
    public static async Task<EntryDictionary> TrainAsync(ResponseCache cache, TimeProvider time)
    {
        await StoreAllAsync(cache, Stored, time.GetUtcNow());
        var trained = cache.Dictionaries.Active;
        Assert.False(trained.IsShipped);
        var saved = await ((IDictionaryStore)cache.SecondTier!).GetDictionaryAsync(trained.Id, Token);
        Assert.NotNull(saved);
        Assert.Equal(trained.Bytes, saved.Bytes);
        return trained;
    }
}
