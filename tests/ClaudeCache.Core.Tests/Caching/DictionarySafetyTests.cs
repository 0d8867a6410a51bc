using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Time.Testing;
using static ClaudeCache.Tests.Shared.CorpusEntries;

namespace ClaudeCache.Tests.Caching;

/// <summary>
/// Trained dictionaries never cost a correct answer: with instances training at once, with training off, and with a
/// tier that cannot keep dictionaries.
/// </summary>
public sealed class DictionarySafetyTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task InstancesReachingARoundTogether_TrainOneDictionary_AndConvergeOnIt()
    {
        // Two instances behind a load balancer reach a round's worth of entries together and read the store at the
        // same moment: one claims the round and trains; the other adopts that dictionary as it meets it.
        var shared = new MemoryStore();
        var rendezvous = new Rendezvous();
        var storeA = new GatedStore(shared, rendezvous);
        var storeB = new GatedStore(shared, rendezvous);
        var aDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        storeA.SaveGate = storeB.LoadedWhileArmed;
        storeB.SaveGate = aDone.Task;
        var options = TrainAfterStored();
        options.DictionariesKept = 1;
        var timeA = new FakeTimeProvider(Start);
        var timeB = new FakeTimeProvider(Start.AddSeconds(1));
        await using var a = new ResponseCache(options, storeA, timeA, new ClaudeCacheMetrics());
        await using var b = new ResponseCache(options, storeB, timeB, new ClaudeCacheMetrics());
        await a.WhenDictionariesIdleAsync();
        await b.WhenDictionariesIdleAsync();
        storeA.Arm();
        storeB.Arm();

        var trafficB = Stored.Skip(30).Concat(HeldOut).Concat(Stored.Take(15)).ToArray();
        for (var i = 0; i < Stored.Length; i++)
        {
            a.Set(Key("a:" + Stored[i].Name), Entry(Stored[i], timeA.GetUtcNow()));
            b.Set(Key("b:" + trafficB[i].Name), Entry(trafficB[i], timeB.GetUtcNow()));
        }

        await a.WhenDictionariesIdleAsync();
        aDone.SetResult();
        await b.WhenDictionariesIdleAsync();
        var trained = Assert.Single(shared.Dictionaries);
        Assert.Equal(1, new[] { a, b }.Count(cache => !cache.Dictionaries.Active.IsShipped));
        Assert.Equal(2, a.DictionaryRounds + b.DictionaryRounds);

        // Each reads the other's new entry: the one that did not train meets the dictionary and adopts it.
        a.Set(Key("late-a"), Entry(HeldOut[0], timeA.GetUtcNow()));
        b.Set(Key("late-b"), Entry(HeldOut[1], timeB.GetUtcNow()));
        await a.FlushAsync();
        await b.FlushAsync();
        Assert.NotNull(await a.GetAsync(Key("late-b"), CancellationToken.None));
        Assert.NotNull(await b.GetAsync(Key("late-a"), CancellationToken.None));
        var trainer = a.Dictionaries.Active.IsShipped ? b : a;
        var other = ReferenceEquals(trainer, a) ? b : a;
        other.Set(Key("after"), Entry(HeldOut[2], timeA.GetUtcNow()));
        await other.FlushAsync();
        Assert.True(EntryCodec.TryGetDictionaryId(shared.Entries[Key("after").ToHex()], out var used));
        Assert.Equal(trained.Id, used);
        output.WriteLine($"trained once: {trained.Id:x8}");
    }

    [Fact]
    public async Task TrainingOff_NewEntriesUseTheShippedDictionary_EvenWithATrainedOneInTheStore()
    {
        var time = new FakeTimeProvider(Start);
        var store = new MemoryStore();
        await using (var trainer = new ResponseCache(TrainAfterStored(), store, time, new ClaudeCacheMetrics()))
        {
            await StoreAllAsync(trainer, Stored, time.GetUtcNow());
            Assert.False(trainer.Dictionaries.Active.IsShipped);
        }

        var off = TrainAfterStored();
        off.TrainDictionary = false;
        await using var cache = new ResponseCache(off, store, time, new ClaudeCacheMetrics());
        await cache.WhenDictionariesIdleAsync();

        Assert.Same(EntryDictionary.Shipped, cache.Dictionaries.Active);
        Assert.NotNull(await cache.GetAsync(Key(Stored[0].Name), CancellationToken.None)); // still reads trained entries
        cache.Set(Key("new"), Entry(HeldOut[0], time.GetUtcNow()));
        await cache.FlushAsync();
        Assert.True(EntryCodec.TryGetDictionaryId(store.Entries[Key("new").ToHex()], out var id));
        Assert.Equal(EntryDictionary.Shipped.Id, id);
    }

    [Fact]
    public async Task TierThatCannotKeepDictionaries_IsNeverWrittenWithATrainedOne()
    {
        var time = new FakeTimeProvider(Start);
        var tier = new EntryOnlyTier();
        await using (var cache = new ResponseCache(TrainAfterStored(), tier, time, new ClaudeCacheMetrics()))
        {
            await StoreAllAsync(cache, Stored, time.GetUtcNow());
            Assert.Same(EntryDictionary.Shipped, cache.Dictionaries.Active);
        }

        // A restart reads everything that was written.
        await using var restarted = new ResponseCache(TrainAfterStored(), tier, time, new ClaudeCacheMetrics());
        foreach (var answer in Stored)
        {
            Assert.NotNull(await restarted.GetAsync(Key(answer.Name), CancellationToken.None));
        }
    }
}
