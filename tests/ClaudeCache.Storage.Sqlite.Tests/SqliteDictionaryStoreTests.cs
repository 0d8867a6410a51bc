using System.Buffers.Binary;
using System.IO.Hashing;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Telemetry;
using ClaudeCache.Testing;
using Microsoft.Data.Sqlite;
using ClaudeCache.Tests.Shared;
using static ClaudeCache.Tests.Shared.CorpusEntries;

namespace ClaudeCache.Tests.Storage.Sqlite;

/// <summary>
/// Trained entry dictionaries in the SQLite file (table <c>dictionaries</c>): the <see cref="IDictionaryStore"/>
/// contract, files an earlier build created, and a dictionary trained before a restart reading entries after it.
/// </summary>
public sealed class SqliteDictionaryStoreTests : IAsyncLifetime
{
    /// <summary>The schema of the build before trained dictionaries: the entries table only (user_version 1).</summary>
    private const string PreviousSchema = """
        CREATE TABLE entries (
            key         TEXT PRIMARY KEY,
            size        INTEGER NOT NULL,
            created_at  INTEGER,
            expires_at  INTEGER NOT NULL,
            last_access INTEGER NOT NULL,
            payload     BLOB NOT NULL
        );
        CREATE INDEX ix_entries_expires_at ON entries (expires_at);
        CREATE INDEX ix_entries_last_access ON entries (last_access, size);
        PRAGMA user_version = 1;
        """;

    private readonly StoreHarness _harness = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public Task SaveLoadGetRemove_RoundTrip_AlsoAfterReopening()
    {
        var store = _harness.Open();
        return DictionaryStoreContract.SaveLoadGetRemoveAsync(store, async () =>
        {
            await store.DisposeAsync();
            return _harness.Open();
        }, _harness.Now);
    }

    [Fact]
    public Task SaveTwice_SameId_KeepsTheFirst() => DictionaryStoreContract.SaveTwiceKeepsTheFirstAsync(_harness.Open(), _harness.Now);

    [Fact]
    public Task GetMissingId_ReturnsNull_OnANewFileAndBesideAStoredOne() => DictionaryStoreContract.MissingIdIsNullAsync(_harness.Open(), _harness.Now);

    [Fact]
    public async Task TrainingClaim_IsOneInstancesUntilItExpires_AcrossInstancesOnTheFile()
    {
        var a = _harness.Open();
        var b = _harness.Open();
        var lease = TimeSpan.FromMinutes(1);

        Assert.True(await a.TryClaimTrainingAsync("instance-a", lease, Token));
        Assert.False(await b.TryClaimTrainingAsync("instance-b", lease, Token));
        Assert.True(await a.TryClaimTrainingAsync("instance-a", lease, Token)); // its own claim, renewed

        _harness.Time.Advance(lease + TimeSpan.FromSeconds(1));
        Assert.True(await b.TryClaimTrainingAsync("instance-b", lease, Token));
        Assert.False(await a.TryClaimTrainingAsync("instance-a", lease, Token));
    }

    [Fact]
    public async Task FileOfThePreviousSchema_GetsTheDictionariesTable_AndItsEntriesStillRead()
    {
        var payload = StoreHarness.Payload(3000, seed: 5);
        var expires = _harness.Now.AddHours(1).ToUnixTimeMilliseconds();
        await CreatePreviousSchemaFileAsync(("old", payload, expires));
        Assert.False(await TableExistsAsync("dictionaries"));
        var store = _harness.Open();

        Assert.Equal(payload, await store.GetAsync("old", Token));
        var dictionary = new StoredDictionary(99, Bytes(1024, seed: 3), _harness.Now);
        await store.SaveDictionaryAsync(dictionary, Token);

        DictionaryStoreContract.AssertSame(dictionary, await store.GetDictionaryAsync(99, Token));
        DictionaryStoreContract.AssertSame(dictionary, Assert.Single(await store.LoadDictionariesAsync(Token)));
        Assert.Equal(new StoreStatistics(1, payload.Length), await store.GetStatisticsAsync(Token));
        Assert.True(await TableExistsAsync("dictionaries"));
        Assert.Equal(1L, await ScalarAsync("PRAGMA user_version")); // additive: no new schema version

        // New entries and old ones side by side, also after reopening.
        await store.SetAsync("new", StoreHarness.Payload(50, seed: 8), _harness.Now.AddHours(1), Token);
        await store.DisposeAsync();
        var reopened = _harness.Open();
        Assert.Equal(payload, await reopened.GetAsync("old", Token));
        Assert.Equal(StoreHarness.Payload(50, seed: 8), await reopened.GetAsync("new", Token));
        DictionaryStoreContract.AssertSame(dictionary, await reopened.GetDictionaryAsync(99, Token));
    }

    [Fact]
    public async Task FileOfThePreviousSchema_EntryAnEarlierBuildWrote_IsAHitThroughTheCache()
    {
        var key = Key("written-by-an-earlier-build");
        var entry = Entry(HeldOut[3], _harness.Now);
        var payload = AsFormatVersion2(EntryCodec.Encode(entry));
        await CreatePreviousSchemaFileAsync((key.ToHex(), payload, entry.ExpiresAt.ToUnixTimeMilliseconds()));

        await using var cache = new ResponseCache(CacheOptions(), _harness.Open(), _harness.Time, new ClaudeCacheMetrics());
        var hit = await cache.GetAsync(key, Token);
        await cache.WhenDictionariesIdleAsync(); // the start-up load ran on the upgraded file

        Assert.NotNull(hit);
        Assert.Equal(entry.Body.ToArray(), hit.Body.ToArray());
        Assert.Same(EntryDictionary.Shipped, cache.Dictionaries.Active);
        Assert.True(await TableExistsAsync("dictionaries"));
    }

    [Fact]
    public async Task Restart_EntryCompressedWithATrainedDictionary_IsAHit_AndTheDictionaryIsActiveAgain()
    {
        var answer = HeldOut[0];
        var key = Key(answer.Name);
        var entry = Entry(answer, _harness.Now);
        EntryDictionary trained;
        await using (var cache = new ResponseCache(CacheOptions(), _harness.Open(), _harness.Time, new ClaudeCacheMetrics()))
        {
            await StoreAndTrainAsync(cache, Stored);
            trained = cache.Dictionaries.Active;
            Assert.False(trained.IsShipped);
            var saved = Assert.Single(await ((IDictionaryStore)cache.SecondTier!).LoadDictionariesAsync(Token));
            Assert.Equal(trained.Id, saved.Id);
            Assert.Equal(trained.Bytes, saved.Bytes);

            cache.Set(key, entry);
            await cache.FlushAsync(Token);
            var payload = await cache.SecondTier!.GetAsync(key.ToHex(), Token);
            Assert.NotNull(payload);
            Assert.True(EntryCodec.TryGetDictionaryId(payload, out var named));
            Assert.Equal(trained.Id, named);

            // Only the trained dictionary reads it: the shipped one alone does not.
            Assert.Equal(DecodeStatus.UnknownDictionary, EntryCodec.TryDecode(payload, out _));
        }

        await using var restarted = new ResponseCache(CacheOptions(), _harness.Open(), _harness.Time, new ClaudeCacheMetrics());
        var hit = await restarted.GetAsync(key, Token);
        await restarted.WhenDictionariesIdleAsync();

        Assert.NotNull(hit);
        Assert.Equal(entry.Body.ToArray(), hit.Body.ToArray());
        Assert.Equal(trained.Id, restarted.Dictionaries.Active.Id);
        Assert.Equal(trained.Bytes, restarted.Dictionaries.Active.Bytes);
        Assert.Equal(trained.CreatedAt, restarted.Dictionaries.Active.CreatedAt);

        // An entry stored now is compressed with it too.
        var next = Key("after-restart");
        restarted.Set(next, Entry(HeldOut[1], _harness.Now));
        await restarted.FlushAsync(Token);
        Assert.True(EntryCodec.TryGetDictionaryId((await restarted.SecondTier!.GetAsync(next.ToHex(), Token))!, out var id));
        Assert.Equal(trained.Id, id);
    }

    private static ResponseCacheOptions CacheOptions() => TrainAfterStored();

    private Task StoreAndTrainAsync(ResponseCache cache, IEnumerable<CorpusAnswer> answers) => StoreAllAsync(cache, answers, _harness.Now);

    /// <summary>
    /// Rewrites an entry of the current format (without stored headers) compressed with the shipped dictionary as
    /// format 2, which an earlier build wrote: the same fields without the dictionary id (bit 1 of the flags meant the shipped dictionary), re-checksummed.
    /// </summary>
    private static byte[] AsFormatVersion2(byte[] current)
    {
        Assert.True(EntryCodec.TryGetDictionaryId(current, out var id));
        Assert.Equal(EntryDictionary.Shipped.Id, id);
        byte[] version2 = [.. current.AsSpan(0, 18), .. current.AsSpan(22)];
        version2[4] = 2;
        BinaryPrimitives.WriteUInt64LittleEndian(version2.AsSpan(5), XxHash64.HashToUInt64(version2.AsSpan(13)));
        Assert.Equal(DecodeStatus.Ok, EntryCodec.TryDecode(version2, out _));
        return version2;
    }

    private async Task CreatePreviousSchemaFileAsync(params (string Key, byte[] Payload, long ExpiresAt)[] entries)
    {
        await using var connection = await OpenRawAsync();
        await ExecuteAsync(connection, "PRAGMA journal_mode = WAL");
        await ExecuteAsync(connection, PreviousSchema);
        foreach (var (key, payload, expiresAt) in entries)
        {
            await using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO entries (key, size, created_at, expires_at, last_access, payload)
                VALUES ($key, $size, $now, $expires_at, $now, $payload)
                """;
            insert.Parameters.AddWithValue("$key", key);
            insert.Parameters.AddWithValue("$size", payload.LongLength);
            insert.Parameters.AddWithValue("$now", _harness.Now.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$expires_at", expiresAt);
            insert.Parameters.AddWithValue("$payload", payload);
            await insert.ExecuteNonQueryAsync(Token);
        }
    }

    private async Task<bool> TableExistsAsync(string name)
    {
        await using var connection = await OpenRawAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", name);
        return (long)(await command.ExecuteScalarAsync(Token))! == 1;
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = await OpenRawAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync(Token))!;
    }

    private async Task<SqliteConnection> OpenRawAsync()
    {
        var connection = new SqliteConnection($"Data Source={_harness.DatabasePath};Pooling=False");
        await connection.OpenAsync(Token);
        return connection;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Token);
    }

    private static byte[] Bytes(int size, byte seed) => StoreHarness.Payload(size, seed);
}
