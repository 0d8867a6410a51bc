using ClaudeCache.Caching;
using ClaudeCache.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Tests.Storage.Sqlite;

public sealed class SqliteSecondTierTests : IAsyncLifetime
{
    private readonly StoreHarness _harness = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task SetThenGet_ReturnsThePayload()
    {
        var store = _harness.Open();
        var payload = StoreHarness.Payload(3000);

        await store.SetAsync("k1", payload, _harness.Now.AddHours(1), Token);

        Assert.Equal(payload, await store.GetAsync("k1", Token));
    }

    [Fact]
    public async Task Get_AbsentKey_ReturnsNull()
    {
        var store = _harness.Open();

        Assert.Null(await store.GetAsync("missing", Token));
    }

    [Fact]
    public async Task Set_ExistingKey_ReplacesPayloadAndExpiry()
    {
        var store = _harness.Open();
        await store.SetAsync("k", StoreHarness.Payload(100), _harness.Now.AddMinutes(1), Token);

        await store.SetAsync("k", StoreHarness.Payload(40, seed: 9), _harness.Now.AddHours(1), Token);
        _harness.Time.Advance(TimeSpan.FromMinutes(30));

        Assert.Equal(StoreHarness.Payload(40, seed: 9), await store.GetAsync("k", Token));
        Assert.Equal(new StoreStatistics(1, 40), await store.GetStatisticsAsync(Token));
    }

    [Fact]
    public async Task Set_SliceOfALargerArray_StoresOnlyTheSlice()
    {
        var store = _harness.Open();
        var buffer = StoreHarness.Payload(100);

        await store.SetAsync("k", buffer.AsMemory(10, 50), _harness.Now.AddHours(1), Token);

        Assert.Equal(buffer[10..60], await store.GetAsync("k", Token));
    }

    [Fact]
    public async Task Remove_DeletesTheEntry_AndAbsentKeyIsNoError()
    {
        var store = _harness.Open();
        await store.SetAsync("k", StoreHarness.Payload(10), _harness.Now.AddHours(1), Token);

        await store.RemoveAsync("k", Token);
        await store.RemoveAsync("never-stored", Token);

        Assert.Null(await store.GetAsync("k", Token));
    }

    [Fact]
    public async Task Get_AtAndAfterExpiry_ReturnsNull()
    {
        var store = _harness.Open();
        await store.SetAsync("k", StoreHarness.Payload(10), _harness.Now.AddMinutes(5), Token);

        _harness.Time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromMilliseconds(1));
        Assert.NotNull(await store.GetAsync("k", Token));

        _harness.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await store.GetAsync("k", Token));
    }

    [Fact]
    public async Task Statistics_CountEntriesAndPayloadBytes()
    {
        var store = _harness.Open();
        Assert.Equal(new StoreStatistics(0, 0), await store.GetStatisticsAsync(Token));

        await store.SetAsync("a", StoreHarness.Payload(100), _harness.Now.AddHours(1), Token);
        await store.SetAsync("b", StoreHarness.Payload(200), _harness.Now.AddHours(1), Token);
        Assert.Equal(new StoreStatistics(2, 300), await store.GetStatisticsAsync(Token));

        await store.RemoveAsync("a", Token);
        Assert.Equal(new StoreStatistics(1, 200), await store.GetStatisticsAsync(Token));
    }

    [Fact]
    public async Task Reopen_SameFile_KeepsEntries()
    {
        var first = _harness.Open();
        await first.SetAsync("k", StoreHarness.Payload(500), _harness.Now.AddHours(1), Token);
        await first.DisposeAsync();

        var second = _harness.Open();

        Assert.Equal(StoreHarness.Payload(500), await second.GetAsync("k", Token));
        Assert.Equal(new StoreStatistics(1, 500), await second.GetStatisticsAsync(Token));
    }

    [Fact]
    public async Task FirstOperation_CreatesWalFileWithSchemaVersion1()
    {
        var store = _harness.Open();
        await store.GetStatisticsAsync(Token);

        await using var connection = new SqliteConnection($"Data Source={_harness.DatabasePath};Pooling=False");
        await connection.OpenAsync(Token);
        Assert.Equal("wal", await ScalarAsync(connection, "PRAGMA journal_mode"));
        Assert.Equal(1L, await ScalarAsync(connection, "PRAGMA user_version"));
        Assert.Equal(
            "ix_entries_expires_at,ix_entries_last_access",
            await ScalarAsync(connection, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries' AND name LIKE 'ix_%' ORDER BY name)"));
        Assert.Equal(
            "created_at,expires_at,fresh_until,key,last_access,payload,size",
            await ScalarAsync(connection, "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('entries') ORDER BY name)"));
    }

    [Fact]
    public void Constructor_DoesNotCreateTheFile()
    {
        _harness.Open();

        Assert.False(File.Exists(_harness.DatabasePath));
    }

    [Fact]
    public async Task Operations_AfterDispose_ThrowObjectDisposed()
    {
        var store = _harness.Open();
        await store.SetAsync("k", StoreHarness.Payload(10), _harness.Now.AddHours(1), Token);
        await store.DisposeAsync();
        await store.DisposeAsync(); // twice is fine

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.GetAsync("k", Token));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.SetAsync("k", new byte[1], _harness.Now, Token));
    }

    [Fact]
    public async Task Operations_WithCanceledToken_Throw()
    {
        var store = _harness.Open();
        using var canceled = new CancellationTokenSource();
        await canceled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.GetAsync("k", canceled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.SetAsync("k", new byte[1], _harness.Now, canceled.Token));
    }

    [Theory]
    [InlineData("path")]
    [InlineData("max")]
    [InlineData("interval")]
    [InlineData("busy")]
    public void Constructor_InvalidOptions_Throws(string invalid)
    {
        var options = new SqliteStoreOptions();
        switch (invalid)
        {
            case "path": options.Path = " "; break;
            case "max": options.MaxBytes = 0; break;
            case "interval": options.CleanupInterval = TimeSpan.Zero; break;
            default: options.BusyTimeout = TimeSpan.FromSeconds(-1); break;
        }

        Assert.Throws<ArgumentException>(() => new SqliteSecondTier(options, _harness.Time));
    }

    [Fact]
    public void Options_Defaults_AreAsDocumented()
    {
        var options = new SqliteStoreOptions();

        Assert.Equal("claudecache.db", options.Path);
        Assert.Equal(1L << 30, options.MaxBytes);
        Assert.Equal(TimeSpan.FromMinutes(1), options.CleanupInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), options.BusyTimeout);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(Token);
    }
}
