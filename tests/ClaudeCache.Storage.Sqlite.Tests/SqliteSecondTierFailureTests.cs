using System.Diagnostics;
using ClaudeCache.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Tests.Storage.Sqlite;

/// <summary>
/// A broken file must fail operations quickly with an exception (the response cache counts it and serves a miss);
/// it must never crash the constructor or hang.
/// </summary>
public sealed class SqliteSecondTierFailureTests : IAsyncLifetime
{
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(15);

    private readonly StoreHarness _harness = new();
    private bool _immutable;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_immutable)
        {
            RunChattr("-i", _harness.DatabasePath);
        }

        await _harness.DisposeAsync();
    }

    [Fact]
    public async Task GarbageFile_OperationsThrowNotADatabase()
    {
        var garbage = new byte[16 * 1024];
        new Random(7).NextBytes(garbage);
        await File.WriteAllBytesAsync(_harness.DatabasePath, garbage, Token);

        var store = _harness.Open(); // must not throw

        var get = await Assert.ThrowsAsync<SqliteException>(async () => await store.GetAsync("k", Token).AsTask().WaitAsync(NoHang, Token));
        Assert.Equal(26, get.SqliteErrorCode); // SQLITE_NOTADB: "file is not a database"
        await Assert.ThrowsAsync<SqliteException>(async () => await store.SetAsync("k", new byte[10], _harness.Now.AddHours(1), Token).AsTask().WaitAsync(NoHang, Token));
        await Assert.ThrowsAsync<SqliteException>(() => store.CleanupAsync(Token).WaitAsync(NoHang, Token));
    }

    [Fact]
    public async Task FileOverwrittenWithGarbageAfterUse_ReopenedStoreThrows()
    {
        var first = _harness.Open();
        await first.SetAsync("k", StoreHarness.Payload(4000), _harness.Now.AddHours(1), Token);
        await first.DisposeAsync();
        var length = new FileInfo(_harness.DatabasePath).Length;
        await File.WriteAllBytesAsync(_harness.DatabasePath, StoreHarness.Payload((int)length, seed: 77), Token);

        var second = _harness.Open();

        await Assert.ThrowsAsync<SqliteException>(async () => await second.GetAsync("k", Token).AsTask().WaitAsync(NoHang, Token));
    }

    [Fact]
    public async Task MissingDirectory_OperationsThrowCannotOpen()
    {
        var store = _harness.Open(o => o.Path = Path.Combine(_harness.Directory, "no", "such", "dir", "cache.db"));

        var exception = await Assert.ThrowsAsync<SqliteException>(async () => await store.GetAsync("k", Token));
        Assert.Equal(14, exception.SqliteErrorCode); // SQLITE_CANTOPEN
    }

    [Fact]
    public async Task FailedFirstOperation_IsRetriedByTheNext()
    {
        await File.WriteAllBytesAsync(_harness.DatabasePath, StoreHarness.Payload(8192), Token);
        var store = _harness.Open();
        await Assert.ThrowsAsync<SqliteException>(async () => await store.GetAsync("k", Token));

        File.Delete(_harness.DatabasePath); // someone repairs the file

        await store.SetAsync("k", new byte[] { 1, 2, 3 }, _harness.Now.AddHours(1), Token);
        Assert.Equal(new byte[] { 1, 2, 3 }, await store.GetAsync("k", Token));
    }

    [Fact]
    public async Task SchemaFromANewerBuild_OperationsThrow()
    {
        var first = _harness.Open();
        await first.GetStatisticsAsync(Token);
        await first.DisposeAsync();
        await using (var connection = new SqliteConnection($"Data Source={_harness.DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync(Token);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 2";
            await command.ExecuteNonQueryAsync(Token);
        }

        var second = _harness.Open();

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(async () => await second.GetAsync("k", Token));
        Assert.Contains("schema version 2", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadOnlyFile_SetThrows()
    {
        var first = _harness.Open();
        await first.SetAsync("k", StoreHarness.Payload(100), _harness.Now.AddHours(1), Token);
        await first.DisposeAsync();
        Assert.SkipUnless(MakeReadOnly(_harness.DatabasePath), "Cannot make a file read-only for this user (root without chattr).");

        var store = _harness.Open();

        var exception = await Assert.ThrowsAsync<SqliteException>(async () =>
            await store.SetAsync("k2", StoreHarness.Payload(100), _harness.Now.AddHours(1), Token).AsTask().WaitAsync(NoHang, Token));
        Assert.Contains(exception.SqliteErrorCode, new[] { 8, 14 }); // SQLITE_READONLY, or SQLITE_CANTOPEN for the WAL index
    }

    [Fact]
    public async Task FileLockedByAnotherWriter_SetThrowsAfterTheBusyTimeout()
    {
        var store = _harness.Open(o => o.BusyTimeout = TimeSpan.FromMilliseconds(200));
        await store.GetStatisticsAsync(Token);
        await using var other = new SqliteConnection($"Data Source={_harness.DatabasePath};Pooling=False");
        await other.OpenAsync(Token);
        await using var transaction = (SqliteTransaction)await other.BeginTransactionAsync(Token);
        await using (var command = other.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO entries (key, size, created_at, expires_at, last_access, payload) VALUES ('x', 1, 0, 0, 0, x'00')";
            await command.ExecuteNonQueryAsync(Token); // holds the write lock until the transaction ends
        }

        // The busy timeout ends the wait (the store makes it the command timeout, rounded up to 1 s). Were it not
        // applied, the client's default 30 s would, and the NoHang guard (15 s) would fail the test with a
        // TimeoutException instead of SQLITE_BUSY.
        var exception = await Assert.ThrowsAsync<SqliteException>(async () =>
            await store.SetAsync("k", new byte[1], _harness.Now.AddHours(1), Token).AsTask().WaitAsync(NoHang, Token));

        Assert.Equal(5, exception.SqliteErrorCode); // SQLITE_BUSY
        Assert.Null(await store.GetAsync("x", Token)); // readers are not blocked by the writer (WAL)
    }

    [Fact]
    public async Task DatabaseDeletedWhileOpen_TheNextOperationFailsAndTheFileIsCreatedAgainForLaterEntries()
    {
        var store = _harness.Open();
        await store.SetAsync("before", StoreHarness.Payload(100), _harness.Now.AddHours(1), Token);
        File.Delete(_harness.DatabasePath);

        // Without the check, this write and every later one went to the deleted file: lost without a trace.
        var exception = await Assert.ThrowsAsync<IOException>(async () => await store.GetAsync("before", Token));
        Assert.Contains("deleted or replaced", exception.Message, StringComparison.Ordinal);
        await store.SetAsync("after", StoreHarness.Payload(100, seed: 9), _harness.Now.AddHours(1), Token);

        Assert.True(File.Exists(_harness.DatabasePath));
        var reader = _harness.Open();
        Assert.Equal(StoreHarness.Payload(100, seed: 9), await reader.GetAsync("after", Token));
        Assert.Null(await reader.GetAsync("before", Token)); // went with the deleted file
    }

    [Fact]
    public async Task DatabaseReplacedWhileOpen_LaterEntriesGoToTheNewFile()
    {
        var store = _harness.Open();
        await store.SetAsync("before", StoreHarness.Payload(100), _harness.Now.AddHours(1), Token);
        var other = Path.Combine(_harness.Directory, "other.db");
        await using (var creator = new SqliteSecondTier(new SqliteStoreOptions { Path = other, CleanupInterval = Timeout.InfiniteTimeSpan }, _harness.Time))
        {
            await creator.SetAsync("theirs", StoreHarness.Payload(50), _harness.Now.AddHours(1), Token);
        }

        File.Move(other, _harness.DatabasePath, overwrite: true);

        await Assert.ThrowsAsync<IOException>(async () => await store.GetAsync("theirs", Token));
        Assert.Equal(StoreHarness.Payload(50), await store.GetAsync("theirs", Token));
        await store.SetAsync("after", StoreHarness.Payload(100, seed: 9), _harness.Now.AddHours(1), Token);
        var reader = _harness.Open();
        Assert.Equal(StoreHarness.Payload(100, seed: 9), await reader.GetAsync("after", Token));
    }

    /// <summary>
    /// Removes write permission; root ignores permissions, so for root also sets the immutable attribute, which
    /// binds root too. False when neither works here.
    /// </summary>
    private bool MakeReadOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        if (!CanOpenForWriting(path))
        {
            return true;
        }

        _immutable = RunChattr("+i", path);
        return _immutable && !CanOpenForWriting(path);
    }

    private static bool CanOpenForWriting(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    private static bool RunChattr(string flag, string path)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("chattr", [flag, path]) { RedirectStandardError = true });
            process!.WaitForExit(10_000);
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no chattr on this machine
        }
    }
}
