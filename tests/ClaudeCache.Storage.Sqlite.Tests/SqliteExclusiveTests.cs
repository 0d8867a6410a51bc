using ClaudeCache.Costs;
using ClaudeCache.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Tests.Storage.Sqlite;

/// <summary>
/// <see cref="SqliteStoreOptions.Exclusive"/>: every connection of the store's file goes through SQLite's
/// <c>unix-excl</c> VFS, which keeps the WAL index in this process's heap (no <c>-shm</c> file to fault) and locks the
/// file for this process. Real files; that another process is shut out is shown with the real proxy in its own
/// process (<c>ExclusiveStoreTests</c> in the proxy's tests): POSIX locks never conflict within one process.
/// </summary>
public sealed class SqliteExclusiveTests : IAsyncLifetime
{
    private readonly StoreHarness _harness = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public void DataSource_IsTheEscapedAbsolutePathAsAUriNamingTheVfs_OrThePathUnchangedWhenOff()
    {
        var path = Path.Combine(_harness.Directory, "a%b?c#d.db");

        Assert.Equal(path, SqliteDataSource.For(path, exclusive: false));
        Assert.Equal(
            "file:" + _harness.Directory + "/a%25b%3fc%23d.db?vfs=unix-excl",
            SqliteDataSource.For(path, exclusive: true));
        Assert.StartsWith("file:" + Path.GetFullPath("."), SqliteDataSource.For("relative.db", exclusive: true), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UriDataSource_IsOpenedAsAUri_AnUnknownVfsIsRefused()
    {
        // Microsoft.Data.Sqlite must pass SQLITE_OPEN_URI for a "file:" data source, or the VFS parameter would be
        // part of a file name and silently ignored.
        var path = _harness.DatabasePath;
        var unknown = SqliteDataSource.For(path, exclusive: true).Replace("unix-excl", "no-such-vfs", StringComparison.Ordinal);
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = unknown, Pooling = false }.ToString());

        var error = await Assert.ThrowsAsync<SqliteException>(() => connection.OpenAsync(Token));

        Assert.Contains("no such vfs", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(System.IO.Directory.GetFiles(_harness.Directory)); // nothing created under a mangled name either
    }

    [Fact]
    public async Task PathWithUriCharacters_IsTheFileCreated()
    {
        var path = Path.Combine(_harness.Directory, "a%20b?c#d.db");
        var tier = _harness.Open(options =>
        {
            options.Path = path;
            options.Exclusive = true;
        });

        await tier.SetAsync("key", StoreHarness.Payload(100), _harness.Now.AddHours(1), Token);

        Assert.True(File.Exists(path), string.Join(", ", System.IO.Directory.GetFiles(_harness.Directory)));
        Assert.Equal([path, path + "-wal"], System.IO.Directory.GetFiles(_harness.Directory).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Exclusive_TiersLedgerAndRequestLogShareWritesAcrossConnections_InWalModeWithoutAShmFile()
    {
        var writer = _harness.Open(options => options.Exclusive = true);
        var reader = _harness.Open(options => options.Exclusive = true); // a second pool: its own connections
        var ledger = SqliteLedgerStore.OpenGuarded(_harness.DatabasePath, exclusive: true);
        var expires = _harness.Now.AddHours(1);

        for (var i = 0; i < 20; i++)
        {
            await writer.SetAsync($"key-{i}", StoreHarness.Payload(1000, (byte)i), expires, Token);
        }

        await ledger.AddAsync([Row(minute: 7, requests: 3)], [], Token);
        await ledger.AddRequestsAsync([new RequestLogRow { AtMs = 1000, Key = "0123456789abcdef", Outcome = "miss" }], TimeSpan.FromDays(30), Token);

        // Reads at once on several connections of the second pool, while the first pool writes.
        var reads = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(StoreHarness.Payload(1000, (byte)i), await reader.GetAsync($"key-{i}", Token));
            }
        }, Token)).ToList();
        reads.Add(writer.SetAsync("late", StoreHarness.Payload(10), expires, Token).AsTask());
        await Task.WhenAll(reads);

        Assert.Equal(StoreHarness.Payload(10), await reader.GetAsync("late", Token));
        Assert.Equal(3, Assert.Single(await ledger.QueryAsync(0, 10, Token)).Requests);
        Assert.Equal("0123456789abcdef", Assert.Single(await ledger.QueryRequestsAsync(0, 2000, Token)).Key);
        Assert.Equal(21, (await reader.GetStatisticsAsync(Token)).EntryCount);

        Assert.True(File.Exists(_harness.DatabasePath + "-wal"), "no WAL: the store is not in WAL mode");
        Assert.False(File.Exists(_harness.DatabasePath + "-shm"), "a -shm file exists: the WAL index is mapped");
        Assert.Equal("wal", await JournalModeAsync(SqliteDataSource.For(_harness.DatabasePath, exclusive: true)));
    }

    [Fact]
    public async Task Default_MapsTheShmAndAnotherStoreOfTheFileReadsIt()
    {
        var tier = _harness.Open();
        await tier.SetAsync("key", StoreHarness.Payload(100), _harness.Now.AddHours(1), Token);

        Assert.True(File.Exists(_harness.DatabasePath + "-shm"));
        Assert.Equal(StoreHarness.Payload(100), await _harness.Open().GetAsync("key", Token));
    }

    [Fact]
    public async Task Exclusive_AShmFileAtThePath_IsNoFaultAndIsNotUsed()
    {
        var tier = _harness.Open(options => options.Exclusive = true);
        var ledger = Assert.IsType<FaultGuardedLedgerStore>(SqliteLedgerStore.OpenGuarded(_harness.DatabasePath, exclusive: true));
        await tier.SetAsync("key", StoreHarness.Payload(100), _harness.Now.AddHours(1), Token);

        // A truncated -shm (what a default store would see as a fault under its mapping): none of this store's business.
        var shm = _harness.DatabasePath + "-shm";
        await File.WriteAllBytesAsync(shm, [], Token);

        Assert.Equal(StoreFault.None, tier.InspectWalIndex());
        Assert.Equal(StoreFault.None, ledger.Inspect());
        Assert.Equal(StoreHarness.Payload(100), await tier.GetAsync("key", Token));
        await tier.SetAsync("other", StoreHarness.Payload(50), _harness.Now.AddHours(1), Token);
        await ledger.AddAsync([Row(minute: 1, requests: 1)], [], Token);
        Assert.Equal(0, new FileInfo(shm).Length);
    }

    [Fact]
    public async Task Default_TheSameTruncatedShm_IsAFault()
    {
        // The counterpart of the test above: without the option the same file under this process's mapping is a fault.
        var tier = _harness.Open();
        await tier.SetAsync("key", StoreHarness.Payload(100), _harness.Now.AddHours(1), Token);
        await using (var file = new FileStream(_harness.DatabasePath + "-shm", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.SetLength(0);
        }

        Assert.Equal(StoreFault.WalIndexTruncated, tier.InspectWalIndex());
        await Assert.ThrowsAsync<IOException>(async () => await tier.GetAsync("key", Token));
    }

    private static async Task<string> JournalModeAsync(string dataSource)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dataSource, Pooling = false }.ToString());
        await connection.OpenAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        return (string)(await command.ExecuteScalarAsync(Token))!;
    }

    private static LedgerRow Row(long minute, long requests) => new()
    {
        Minute = minute,
        Model = "m",
        Strategy = "s",
        Context = "c",
        Tenant = "t",
        Outcome = "miss",
        Requests = requests,
        Reason = "",
    };
}
