using System.Globalization;
using System.Text;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Telemetry;
using ClaudeCache.Testing;
using ClaudeCache.Tests.Entries;
using static ClaudeCache.Tests.Shared.CorpusEntries;
using Microsoft.Extensions.Time.Testing;
using ZstdSharp;

namespace ClaudeCache.Tests.Caching;

/// <summary>
/// Dictionaries trained on a store's own entries (decision 0007): trained from what is stored, adopted only when
/// saved and better, found by id by other caches sharing the store, and measured on answers they never saw.
/// </summary>
public sealed class DictionaryTrainingTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private static ResponseCacheOptions Options() => TrainAfterStored();

    [Fact]
    public async Task FewerEntriesThanARound_KeepsTheShippedDictionary()
    {
        var time = new FakeTimeProvider(Start);
        var store = new MemoryStore();
        await using var cache = new ResponseCache(Options(), store, time, new ClaudeCacheMetrics());

        await StoreAllAsync(cache, Stored.Take(59), time.GetUtcNow());

        Assert.Same(EntryDictionary.Shipped, cache.Dictionaries.Active);
        Assert.Equal(0, cache.DictionaryRounds);
        Assert.Empty(store.Dictionaries);
    }

    [Fact]
    public async Task TrainedDictionary_IsSavedAdoptedAndCompressesUnseenAnswersBetter()
    {
        var time = new FakeTimeProvider(Start);
        var store = new MemoryStore();
        await using var cache = new ResponseCache(Options(), store, time, new ClaudeCacheMetrics());

        await StoreAllAsync(cache, Stored, time.GetUtcNow());

        var trained = cache.Dictionaries.Active;
        Assert.False(trained.IsShipped);
        Assert.Equal(trained.Id, Assert.Single(store.Dictionaries).Id);
        Assert.Equal(trained.Bytes, store.Dictionaries.Single().Bytes);

        // Out of sample: answers the store never held.
        var shipped = Ratios(HeldOut, EntryDictionary.Shipped);
        var own = Ratios(HeldOut, trained);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"held-out JSON entries, median ratio: shipped {Median(shipped):F2}x, trained on the store {Median(own):F2}x ({trained.Bytes.Length} B dictionary from {Stored.Length} entries)"));
        Assert.True(Median(own) >= 2.5, $"median ratio {Median(own):F2}");
        Assert.True(Median(own) > Median(shipped) * 1.05);

        // New entries use it, and read back.
        var answer = HeldOut[0];
        cache.Set(Key(answer.Name), Entry(answer, time.GetUtcNow()));
        await cache.FlushAsync();
        var payload = store.Entries[Key(answer.Name).ToHex()];
        Assert.True(EntryCodec.TryGetDictionaryId(payload, out var id));
        Assert.Equal(trained.Id, id);
        Assert.Equal(AnswerCorpus.MessageJson(answer).Length, (await cache.GetAsync(Key(answer.Name), CancellationToken.None))!.Body.Length);
    }

    [Fact]
    public async Task AnotherCacheOnTheStore_LoadsTheDictionaryByIdOnItsFirstRead()
    {
        var time = new FakeTimeProvider(Start);
        var store = new MemoryStore();
        await using var other = new ResponseCache(Options(), store, time, new ClaudeCacheMetrics());
        await other.WhenDictionariesIdleAsync(); // its start-up load found nothing
        await using var trainer = new ResponseCache(Options(), store, time, new ClaudeCacheMetrics());
        await StoreAllAsync(trainer, Stored, time.GetUtcNow());
        var trained = trainer.Dictionaries.Active;
        Assert.False(trained.IsShipped);
        trainer.Set(Key("late"), Entry(HeldOut[1], time.GetUtcNow()));
        await trainer.FlushAsync();
        Assert.False(other.Dictionaries.TryGet(trained.Id, out _));

        var hit = await other.GetAsync(Key("late"), CancellationToken.None);

        Assert.NotNull(hit);
        Assert.Equal(AnswerCorpus.MessageJson(HeldOut[1]).Length, hit.Body.Length);
        Assert.True(other.Dictionaries.TryGet(trained.Id, out _));
        Assert.Same(other.Dictionaries.Active, other.Dictionaries.TryGet(trained.Id, out var loaded) ? loaded : null);
    }

    [Fact]
    public async Task EntryNamingADictionaryTheStoreLacks_IsAMiss_ThatTheNextAnswerReplaces()
    {
        var time = new FakeTimeProvider(Start);
        var store = new MemoryStore();
        await using (var trainer = new ResponseCache(Options(), store, time, new ClaudeCacheMetrics()))
        {
            await StoreAllAsync(trainer, Stored, time.GetUtcNow());
            trainer.Set(Key("orphan"), Entry(HeldOut[2], time.GetUtcNow()));
            await trainer.FlushAsync();
        }

        foreach (var dictionary in store.Dictionaries)
        {
            await store.RemoveDictionaryAsync(dictionary.Id, CancellationToken.None);
        }

        await using var cache = new ResponseCache(Options(), store, time, new ClaudeCacheMetrics());
        Assert.Null(await cache.GetAsync(Key("orphan"), CancellationToken.None));

        // Intact, so left in the shared tier (an instance that still holds the dictionary may read it) until the
        // answer fetched for this miss replaces it.
        Assert.True(store.Entries.ContainsKey(Key("orphan").ToHex()));
        cache.Set(Key("orphan"), Entry(HeldOut[2], time.GetUtcNow()));
        await cache.FlushAsync();
        Assert.NotNull(await cache.GetAsync(Key("orphan"), CancellationToken.None));
    }

    [Fact]
    public async Task DictionaryTheStoreFailsToLoad_IsAMiss_AndTheEntryStays()
    {
        var time = new FakeTimeProvider(Start);
        var store = new MemoryStore();
        await using (var trainer = new ResponseCache(Options(), store, time, new ClaudeCacheMetrics()))
        {
            await StoreAllAsync(trainer, Stored, time.GetUtcNow());
            Assert.False(trainer.Dictionaries.Active.IsShipped);
            trainer.Set(Key("intact"), Entry(HeldOut[3], time.GetUtcNow()));
            await trainer.FlushAsync();
        }

        store.FailDictionaryReads = true;
        await using var cache = new ResponseCache(Options(), store, time, new ClaudeCacheMetrics());
        await cache.WhenDictionariesIdleAsync();

        Assert.Null(await cache.GetAsync(Key("intact"), CancellationToken.None));
        Assert.True(store.Entries.ContainsKey(Key("intact").ToHex()));

        store.FailDictionaryReads = false;
        Assert.NotNull(await cache.GetAsync(Key("intact"), CancellationToken.None));
    }

    [Fact]
    public async Task DictionaryTheStoreCannotSave_IsNotAdopted()
    {
        var time = new FakeTimeProvider(Start);
        var store = new MemoryStore { FailDictionarySaves = true };
        await using var cache = new ResponseCache(Options(), store, time, new ClaudeCacheMetrics());

        await StoreAllAsync(cache, Stored, time.GetUtcNow());

        Assert.Equal(1, cache.DictionaryRounds);
        Assert.Same(EntryDictionary.Shipped, cache.Dictionaries.Active);

        // Entries written meanwhile are readable by a cache that has only what the store has.
        await using var restarted = new ResponseCache(Options(), store, time, new ClaudeCacheMetrics());
        Assert.NotNull(await restarted.GetAsync(Key(Stored[^1].Name), CancellationToken.None));
    }

    [Fact]
    public async Task NextRound_WaitsForTheRetrainInterval()
    {
        var time = new FakeTimeProvider(Start);
        var store = new MemoryStore();
        var options = Options();
        options.DictionaryRetrainInterval = TimeSpan.FromHours(24);
        await using var cache = new ResponseCache(options, store, time, new ClaudeCacheMetrics());
        await StoreAllAsync(cache, Stored, time.GetUtcNow());
        Assert.Equal(1, cache.DictionaryRounds);

        time.Advance(TimeSpan.FromHours(23));
        await StoreAllAsync(cache, Stored, time.GetUtcNow());
        Assert.Equal(1, cache.DictionaryRounds);

        time.Advance(TimeSpan.FromHours(1));
        await StoreAllAsync(cache, Stored, time.GetUtcNow());
        Assert.Equal(2, cache.DictionaryRounds);

        // The same traffic again: the new candidate is no better than the dictionary in use, which stays.
        Assert.Single(store.Dictionaries);
    }

    [Fact]
    public async Task DictionaryEvictedFromTheStore_IsWrittenBackWithinTheRefreshInterval()
    {
        // A Redis under an allkeys-* eviction policy may drop the dictionaries hash.
        var time = new FakeTimeProvider(Start);
        var store = new MemoryStore();
        await using var cache = new ResponseCache(Options(), store, time, new ClaudeCacheMetrics());
        await StoreAllAsync(cache, Stored, time.GetUtcNow());
        var trained = Assert.Single(store.Dictionaries);
        await store.RemoveDictionaryAsync(trained.Id, CancellationToken.None);

        time.Advance(TimeSpan.FromMinutes(9));
        await StoreAllAsync(cache, HeldOut.Take(1), time.GetUtcNow());
        Assert.Empty(store.Dictionaries);

        time.Advance(TimeSpan.FromMinutes(1));
        await StoreAllAsync(cache, HeldOut.Take(1), time.GetUtcNow());
        Assert.Equal(trained.Bytes, Assert.Single(store.Dictionaries).Bytes);
    }

    [Fact]
    public async Task DictionaryPastItsMaximumAge_IsReplacedByOneAsGood()
    {
        var time = new FakeTimeProvider(Start);
        var store = new MemoryStore();
        var options = Options();
        options.DictionaryRetrainInterval = TimeSpan.FromDays(1);
        options.DictionaryMaxAge = TimeSpan.FromDays(3);
        await using var cache = new ResponseCache(options, store, time, new ClaudeCacheMetrics());
        await StoreAllAsync(cache, Stored, time.GetUtcNow());
        var first = cache.Dictionaries.Active;
        Assert.False(first.IsShipped);

        // The same traffic a day later: the candidate is no better, so the young dictionary stays.
        time.Advance(TimeSpan.FromDays(1));
        await StoreAllAsync(cache, Stored, time.GetUtcNow());
        Assert.Equal(2, cache.DictionaryRounds);
        Assert.Same(first, cache.Dictionaries.Active);

        // Three days after it was trained, an as-good candidate replaces it.
        time.Advance(TimeSpan.FromDays(2));
        await StoreAllAsync(cache, Stored, time.GetUtcNow());
        Assert.Equal(3, cache.DictionaryRounds);
        Assert.NotEqual(first.Id, cache.Dictionaries.Active.Id);
        Assert.Equal(time.GetUtcNow(), cache.Dictionaries.Active.CreatedAt);
    }

    [Fact]
    public async Task TrainingOff_NeverTrains()
    {
        var time = new FakeTimeProvider(Start);
        var options = Options();
        options.TrainDictionary = false;
        await using var cache = new ResponseCache(options, new MemoryStore(), time, new ClaudeCacheMetrics());

        await StoreAllAsync(cache, Stored, time.GetUtcNow());

        Assert.Equal(0, cache.DictionaryRounds);
        Assert.Same(EntryDictionary.Shipped, cache.Dictionaries.Active);
    }

    [Fact]
    public async Task Adoption_PrunesTheStoreToTheNewestKept()
    {
        var time = new FakeTimeProvider(Start);
        var store = new MemoryStore();
        // Older dictionaries from another kind of traffic (technical English about HTTP caching).
        var old = OtherTrafficDictionaries(3);
        for (var i = 0; i < old.Length; i++)
        {
            await store.SaveDictionaryAsync(new StoredDictionary(old[i].Id, old[i].Bytes, Start.AddDays(-10 + i)), CancellationToken.None);
        }

        var options = Options();
        options.DictionariesKept = 2;
        await using var cache = new ResponseCache(options, store, time, new ClaudeCacheMetrics());
        await cache.WhenDictionariesIdleAsync();
        Assert.Equal(old[^1].Id, cache.Dictionaries.Active.Id); // the newest stored one compresses new entries

        await StoreAllAsync(cache, Stored, time.GetUtcNow());

        var kept = store.Dictionaries.OrderByDescending(d => d.CreatedAt).Select(d => d.Id).ToArray();
        Assert.Equal([cache.Dictionaries.Active.Id, old[^1].Id], kept);
        Assert.False(cache.Dictionaries.TryGet(old[0].Id, out _));
        Assert.True(cache.Dictionaries.TryGet(EntryDictionary.Shipped.Id, out _));
    }

    [Fact]
    public async Task DictionaryStampedInTheFuture_DoesNotOutrankOneTrainedLater()
    {
        // Another instance's clock ran a month ahead when it trained this one.
        var time = new FakeTimeProvider(Start);
        var store = new MemoryStore();
        var ahead = OtherTrafficDictionaries(1)[0];
        await store.SaveDictionaryAsync(new StoredDictionary(ahead.Id, ahead.Bytes, Start.AddDays(30)), CancellationToken.None);
        await using var cache = new ResponseCache(Options(), store, time, new ClaudeCacheMetrics());
        await cache.WhenDictionariesIdleAsync();
        Assert.Equal(ahead.Id, cache.Dictionaries.Active.Id);

        time.Advance(TimeSpan.FromMinutes(5));
        await StoreAllAsync(cache, Stored, time.GetUtcNow());

        Assert.Equal(2, store.Dictionaries.Count);
        Assert.NotEqual(ahead.Id, cache.Dictionaries.Active.Id);
        Assert.Equal(time.GetUtcNow(), cache.Dictionaries.Active.CreatedAt);
    }

    private static EntryDictionary[] OtherTrafficDictionaries(int count)
    {
        var words = SampleResponses.Text.Split(' ');
        return [.. Enumerable.Range(0, count).Select(seed =>
        {
            var random = new Random(seed);
            var samples = Enumerable.Range(0, 200).Select(_ =>
                Encoding.UTF8.GetBytes(string.Join(' ', Enumerable.Range(0, 60).Select(_ => words[random.Next(words.Length)])))).ToList();
            Assert.True(EntryDictionary.TryCreate(DictBuilder.TrainFromBuffer(samples, 8 * 1024).ToArray(), Start, out var dictionary));
            return dictionary!;
        })];
    }

    private static double[] Ratios(IEnumerable<CorpusAnswer> answers, EntryDictionary dictionary) =>
        [.. answers.Select(a =>
        {
            var entry = Entry(a, Start);
            return (double)entry.Body.Length / EntryCodec.Encode(entry, dictionary).Length;
        })];

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
