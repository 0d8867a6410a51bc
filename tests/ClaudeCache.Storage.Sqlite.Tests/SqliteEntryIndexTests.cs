using ClaudeCache.Caching;
using ClaudeCache.Policy;
using ClaudeCache.Storage.Sqlite;

namespace ClaudeCache.Tests.Storage.Sqlite;

/// <summary>The purge index in the SQLite file: written with the entry, gone with it, purged in bounded batches.</summary>
public sealed class SqliteEntryIndexTests
{
    private static EntryMetadata Metadata(DateTimeOffset created, params string[] tags) =>
        new("tenant-a", "", "claude-sonnet-4-5", CacheStrategy.Standard, "", created, tags);

    private static async Task<List<IReadOnlyList<string>>> PurgeAsync(SqliteSecondTier index, PurgeFilter filter, bool dryRun)
    {
        var batches = new List<IReadOnlyList<string>>();
        await foreach (var batch in index.PurgeAsync(filter, dryRun, TestContext.Current.CancellationToken))
        {
            batches.Add(batch);
        }

        return batches;
    }

    [Fact]
    public async Task APurgeOfManyEntries_RunsInBatchesOf500_AndRemovesEveryOne()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open();
        var ct = TestContext.Current.CancellationToken;
        var keys = Enumerable.Range(0, 1201).Select(i => i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        foreach (var key in keys)
        {
            await store.SetAsync(key, StoreHarness.Payload(32), harness.Now.AddHours(1), Metadata(harness.Now, "bulk"), ct);
        }

        var dry = await PurgeAsync(store, new PurgeFilter { Tag = "bulk" }, dryRun: true);
        var purged = await PurgeAsync(store, new PurgeFilter { Tag = "bulk" }, dryRun: false);

        Assert.Equal([500, 500, 201], dry.Select(b => b.Count));
        Assert.Equal([500, 500, 201], purged.Select(b => b.Count));
        Assert.Equal(keys, purged.SelectMany(b => b).Order(StringComparer.Ordinal));
        Assert.Equal(0, (await store.GetStatisticsAsync(ct)).EntryCount);
    }

    [Fact]
    public async Task AnEntryReplaced_WithOtherTags_OrWithoutMetadata_IsFoundOnlyByWhatItNowHas()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open();
        var ct = TestContext.Current.CancellationToken;
        var key = new string('a', 64);
        var other = new string('b', 64);
        await store.SetAsync(key, StoreHarness.Payload(32), harness.Now.AddHours(1), Metadata(harness.Now, "old"), ct);
        await store.SetAsync(other, StoreHarness.Payload(32), harness.Now.AddHours(1), Metadata(harness.Now, "old"), ct);

        await store.SetAsync(key, StoreHarness.Payload(32, 2), harness.Now.AddHours(1), Metadata(harness.Now, "new"), ct);
        await ((ISecondTier)store).SetAsync(other, StoreHarness.Payload(32, 3), harness.Now.AddHours(1), ct);

        Assert.Empty(await PurgeAsync(store, new PurgeFilter { Tag = "old" }, dryRun: true));
        Assert.Equal([key], (await PurgeAsync(store, new PurgeFilter { Tag = "new" }, dryRun: true)).SelectMany(b => b));
    }

    [Fact]
    public async Task RemovedExpiredAndEvictedEntries_TakeTheirIndexRowsWithThem()
    {
        await using var harness = new StoreHarness();
        var store = harness.Open(o => o.MaxBytes = 1000);
        var ct = TestContext.Current.CancellationToken;
        string Key(char c) => new(c, 64);
        // Written bytes stay under the cap plus a tenth (1,100), so no background cleanup races the one below.
        await store.SetAsync(Key('a'), StoreHarness.Payload(50), harness.Now.AddMinutes(5), Metadata(harness.Now, "t"), ct);
        await store.SetAsync(Key('b'), StoreHarness.Payload(10), harness.Now.AddHours(1), Metadata(harness.Now, "t"), ct);
        await store.SetAsync(Key('c'), StoreHarness.Payload(500), harness.Now.AddHours(1), Metadata(harness.Now, "t"), ct);
        await store.RemoveAsync(Key('b'), ct);
        harness.Time.Advance(TimeSpan.FromMinutes(10));
        await store.SetAsync(Key('d'), StoreHarness.Payload(520), harness.Now.AddHours(1), Metadata(harness.Now, "t"), ct);

        Assert.Equal(2, await store.CleanupAsync(ct)); // 'a' expired, 'c' evicted over the cap

        Assert.Equal([Key('d')], (await PurgeAsync(store, new PurgeFilter { Tag = "t" }, dryRun: true)).SelectMany(b => b));
        Assert.Equal([Key('d')], (await PurgeAsync(store, new PurgeFilter { Tenant = "tenant-a" }, dryRun: true)).SelectMany(b => b));
    }
}
