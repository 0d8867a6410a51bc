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
    public async Task InstancesTrainingAtOnce_KeepEachOthersDictionaries_AndEveryEntryStaysReadable()
    {
        // Two instances behind a load balancer reach a round's worth of entries together: both train, both adopt
        // their own. Pruning (DictionariesKept = 1, standing in for more instances than kept) must not delete the
        // other's dictionary while it is in use.
        var shared = new MemoryStore();
        var rendezvous = new Rendezvous();
        var storeA = new GatedStore(shared, rendezvous);
        var storeB = new GatedStore(shared, rendezvous);
        // Neither sees the other's dictionary when its round starts: A saves only after B has read the store, and B
        // only after A is done.
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

        // Different traffic mixes, so that the two dictionaries differ (the same traffic trains the same dictionary).
        var trafficB = Stored.Skip(30).Concat(HeldOut).Concat(Stored.Take(15)).ToArray();
        for (var i = 0; i < Stored.Length; i++)
        {
            a.Set(Key("a:" + Stored[i].Name), Entry(Stored[i], timeA.GetUtcNow()));
            b.Set(Key("b:" + trafficB[i].Name), Entry(trafficB[i], timeB.GetUtcNow()));
        }

        await a.WhenDictionariesIdleAsync();
        aDone.SetResult();
        await b.WhenDictionariesIdleAsync();
        Assert.False(a.Dictionaries.Active.IsShipped);
        Assert.False(b.Dictionaries.Active.IsShipped);
        Assert.NotEqual(a.Dictionaries.Active.Id, b.Dictionaries.Active.Id);
        output.WriteLine($"A {a.Dictionaries.Active.Id:x8}, B {b.Dictionaries.Active.Id:x8}, store {string.Join(", ", shared.Dictionaries.Select(d => d.Id.ToString("x8", System.Globalization.CultureInfo.InvariantCulture)))}");

        a.Set(Key("late-a"), Entry(HeldOut[0], timeA.GetUtcNow()));
        b.Set(Key("late-b"), Entry(HeldOut[1], timeB.GetUtcNow()));
        await a.FlushAsync();
        await b.FlushAsync();
        await using var c = new ResponseCache(options, new GatedStore(shared, new Rendezvous()), timeA, new ClaudeCacheMetrics());
        Assert.NotNull(await c.GetAsync(Key("late-a"), CancellationToken.None));
        Assert.NotNull(await c.GetAsync(Key("late-b"), CancellationToken.None));

        // Reading each other's entries, the instances converge on the newest dictionary (B's).
        Assert.NotNull(await a.GetAsync(Key("late-b"), CancellationToken.None));
        Assert.Equal(b.Dictionaries.Active.Id, a.Dictionaries.Active.Id);
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
