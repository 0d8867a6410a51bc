using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Storage.Sqlite;

namespace ClaudeCache.Tests.Storage.Sqlite;

/// <summary>
/// The WAL index check in one process with several stores on one file. SQLite maps the <c>-shm</c> once per
/// process, for every connection of every store, so a store that has not opened anything yet still uses the
/// mapping another store made. Each test asserts what the guard decides before letting SQLite near the file: a
/// wrong decision fails the assertion instead of faulting on the mapping (a SIGBUS would end the test host).
/// </summary>
public sealed class SqliteWalIndexFaultTests : IAsyncLifetime
{
    private readonly StoreHarness _harness = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task GuardedLedgerStoreNotYetOpened_SeesATruncationOfTheMappingACacheStoreOfTheProcessMade()
    {
        var tier = _harness.Open();
        await tier.SetAsync("key", StoreHarness.Payload(100), _harness.Now.AddHours(1), Token);
        Truncate(_harness.DatabasePath + "-shm", 0);

        // A ledger store opened after the fault, on the same file: its connections would share the tier's mapping.
        var ledger = Assert.IsType<FaultGuardedLedgerStore>(SqliteLedgerStore.OpenGuarded(_harness.DatabasePath));

        Assert.Equal(StoreFault.WalIndexTruncated, ledger.Inspect());
        await Assert.ThrowsAsync<IOException>(() => ledger.AddAsync([Row()], [], Token));
        await Assert.ThrowsAsync<IOException>(async () => await tier.GetAsync("key", Token));
    }

    [Fact]
    public async Task CacheStoreOpenedAfterAnother_SeesATruncationOfTheMappingTheOtherMade()
    {
        var first = _harness.Open();
        await first.SetAsync("key", StoreHarness.Payload(100), _harness.Now.AddHours(1), Token);
        var second = _harness.Open();
        Truncate(_harness.DatabasePath + "-shm", 0);

        Assert.Equal(StoreFault.WalIndexTruncated, second.InspectWalIndex());
        await Assert.ThrowsAsync<IOException>(async () => await second.GetAsync("key", Token));
    }

    [Fact]
    public async Task WalIndexCutToOneRegionAfterTheWalGrewPastIt_IsATruncation()
    {
        var tier = _harness.Open();
        // One transaction of more frames than the first 32 KiB region indexes (4062): SQLite maps a second region.
        await tier.SetAsync("large", StoreHarness.Payload(20 * 1024 * 1024), _harness.Now.AddHours(1), Token);
        var shm = _harness.DatabasePath + "-shm";
        Assert.True(new FileInfo(shm).Length > SqliteFileGuard.WalIndexRegion, $"the -shm is {new FileInfo(shm).Length} bytes");
        Assert.Equal(StoreFault.None, tier.InspectWalIndex()); // seen at its full size while mapped

        Truncate(shm, SqliteFileGuard.WalIndexRegion);

        Assert.Equal(StoreFault.WalIndexTruncated, tier.InspectWalIndex());
        await Assert.ThrowsAsync<IOException>(async () => await tier.GetAsync("large", Token));
    }

    [Fact]
    public async Task AfterTheFault_EveryEntryPointOfTheTierAndTheLedgerFailsWithoutTouchingTheMapping()
    {
        // The fault comes first, then every kind of SQLite use the process makes (requests, the cleanup timer, the
        // access-time flush, dictionaries, tombstones, the purge index, the ledger and the request log): any that
        // reached SQLite would fault on the cut mapping and end the test host (exit 135) instead of throwing.
        var tier = _harness.Open();
        var stores = new SqliteCacheStores(new SqliteStoreOptions { Path = _harness.DatabasePath, CleanupInterval = Timeout.InfiniteTimeSpan }, _harness.Time);
        var ledger = stores.LedgerStore;
        await tier.SetAsync("key", StoreHarness.Payload(100), _harness.Now.AddHours(1), Token);
        await ledger.AddAsync([Row()], [], Token);
        await ledger.AddRequestsAsync([], TimeSpan.FromDays(1), Token);
        Truncate(_harness.DatabasePath + "-shm", 0);

        Func<Task>[] uses =
        [
            async () => await tier.GetAsync("key", Token),
            async () => await tier.SetAsync("other", StoreHarness.Payload(10), _harness.Now.AddHours(1), Token),
            async () => await tier.RemoveAsync("key", Token),
            async () => await tier.SetTombstoneAsync("key", MissReason.Evicted, _harness.Now.AddHours(1), Token),
            async () => await tier.GetTombstoneAsync("key", Token),
            async () => await tier.LoadDictionariesAsync(Token),
            async () => await tier.GetDictionaryAsync(1, Token),
            async () => await tier.SaveDictionaryAsync(new StoredDictionary(1, [1, 2, 3], _harness.Now), Token),
            async () => await tier.TryClaimTrainingAsync("owner", TimeSpan.FromMinutes(1), Token),
            async () => await tier.RemoveDictionaryAsync(1, Token),
            () => tier.CleanupAsync(Token),
            () => tier.GetStatisticsAsync(Token),
            async () => await tier.PurgeAsync(new PurgeFilter { Tag = "t" }, dryRun: true, Token).ToListAsync(Token),
            async () => await tier.PurgeAsync(new PurgeFilter { Tag = "t" }, dryRun: false, Token).ToListAsync(Token),
            () => ledger.AddAsync([Row()], [], Token),
            () => ledger.QueryAsync(0, 10, Token),
            () => ledger.QueryLatencyAsync(0, 10, Token),
            () => ledger.PruneAsync(0, 0, Token),
            () => ledger.AddRequestsAsync([], TimeSpan.FromDays(1), Token),
            () => ledger.QueryRequestsAsync(0, 10, Token),
            () => ledger.PruneRequestsAsync(0, 10, Token),
        ];
        foreach (var use in uses)
        {
            await Assert.ThrowsAsync<IOException>(use);
        }

        await stores.DisposeAsync();
        await ((IAsyncDisposable)stores.SecondTier!).DisposeAsync(); // closing must not checkpoint through the mapping
    }

    private static void Truncate(string path, long length)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.SetLength(length);
    }

    private static LedgerRow Row() => new()
    {
        Minute = 1,
        Model = "m",
        Strategy = "s",
        Context = "c",
        Tenant = "t",
        Outcome = "miss",
        Requests = 1,
        Reason = "",
    };
}
