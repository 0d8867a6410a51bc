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
