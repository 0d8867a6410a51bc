using System.Security.Cryptography;
using System.Text;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Policy;
using ClaudeCache.Telemetry;

namespace ClaudeCache.Tests.Storage.Sqlite;

/// <summary>
/// Entries kept past their TTL for their grace (docs/serve-stale.md) in the SQLite file: readable until their keep
/// time, evicted before fresh ones under the cap, and every row cleanup deletes leaves a tombstone for the miss reason.
/// </summary>
public sealed class SqliteGraceTests : IAsyncLifetime
{
    private readonly StoreHarness _harness = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task AnExpiredEntry_IsReadUntilItsKeepTime()
    {
        var store = _harness.Open();
        await store.SetAsync("k", StoreHarness.Payload(10), _harness.Now.AddHours(1), _harness.Now.AddHours(3), Token);

        _harness.Time.Advance(TimeSpan.FromHours(2));
        Assert.NotNull(await store.GetAsync("k", Token));
        _harness.Time.Advance(TimeSpan.FromHours(1));
        Assert.Null(await store.GetAsync("k", Token));
    }

    [Fact]
    public async Task AFileWrittenBeforeGraceExisted_GetsTheColumn_AndKeepsItsRows()
    {
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_harness.DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync(Token);
            await using var command = connection.CreateCommand();
            // The schema of version 1 as the previous build created it.
            command.CommandText = """
                PRAGMA journal_mode = WAL;
                CREATE TABLE entries (key TEXT PRIMARY KEY, size INTEGER NOT NULL, created_at INTEGER, expires_at INTEGER NOT NULL,
                    last_access INTEGER NOT NULL, payload BLOB NOT NULL);
                INSERT INTO entries VALUES ('old', 3, 0, 253402300799000, 0, x'010203');
                PRAGMA user_version = 1;
                """;
            await command.ExecuteNonQueryAsync(Token);
        }

        var store = _harness.Open();
        Assert.Equal(new byte[] { 1, 2, 3 }, await store.GetAsync("old", Token));
        await store.SetAsync("new", StoreHarness.Payload(10), _harness.Now.AddHours(1), _harness.Now.AddHours(2), Token);
        _harness.Time.Advance(TimeSpan.FromMinutes(90));
        Assert.NotNull(await store.GetAsync("new", Token));
        Assert.Equal(0, await store.CleanupAsync(Token));
    }

    [Fact]
    public async Task UnderTheCap_EntriesPastTheirTtl_GoBeforeFreshOnes_EvenWhenMoreRecentlyRead()
    {
        // 3 × 350 bytes: over the cap, but by less than the tenth that starts a cleanup in the background on its own
        // (which, racing the clock below, could take the entry before the cleanup this test calls).
        var store = _harness.Open(o => o.MaxBytes = 1000);
        await store.SetAsync("fresh-old", StoreHarness.Payload(350), _harness.Now.AddDays(2), Token);
        _harness.Time.Advance(TimeSpan.FromMinutes(2));
        await store.SetAsync("stale", StoreHarness.Payload(350), _harness.Now.AddHours(1), _harness.Now.AddDays(7), Token);
        _harness.Time.Advance(TimeSpan.FromMinutes(2));
        await store.SetAsync("fresh-new", StoreHarness.Payload(350), _harness.Now.AddDays(2), Token);
        _harness.Time.Advance(TimeSpan.FromHours(2)); // "stale" is past its TTL, kept for its grace
        Assert.NotNull(await store.GetAsync("stale", Token)); // and the most recently read

        Assert.Equal(1, await store.CleanupAsync(Token));

        Assert.Null(await store.GetAsync("stale", Token));
        Assert.NotNull(await store.GetAsync("fresh-old", Token));
        Assert.NotNull(await store.GetAsync("fresh-new", Token));
        Assert.Equal(MissReason.Evicted, await store.GetTombstoneAsync("stale", Token));
    }

    [Fact]
    public async Task Cleanup_LeavesExpiredTombstones_AndAStoredEntryEndsItsTombstone()
    {
        var store = _harness.Open();
        await store.SetAsync("gone", StoreHarness.Payload(10), _harness.Now.AddMinutes(1), Token);
        _harness.Time.Advance(TimeSpan.FromMinutes(2));

        await store.CleanupAsync(Token);
        Assert.Equal(MissReason.Expired, await store.GetTombstoneAsync("gone", Token));

        await store.SetAsync("gone", StoreHarness.Payload(10), _harness.Now.AddMinutes(1), Token);
        Assert.Null(await store.GetTombstoneAsync("gone", Token));
    }

    [Fact]
    public async Task Tombstones_ExpireAfterTheirTimeToLive()
    {
        var store = _harness.Open(o => o.TombstoneTimeToLive = TimeSpan.FromHours(1));
        await store.SetTombstoneAsync("k", MissReason.Invalidated, _harness.Now.AddHours(1), Token);
        Assert.Equal(MissReason.Invalidated, await store.GetTombstoneAsync("k", Token));

        _harness.Time.Advance(TimeSpan.FromHours(1));
        Assert.Null(await store.GetTombstoneAsync("k", Token));
    }

    [Fact]
    public async Task ThroughTheResponseCache_AnEntryEvictedForRoom_MissesAsEvicted()
    {
        // Room for one answer of about 1.1 KB (random text does not compress much), not two; a memory tier too small
        // to hold either, so only the file answers.
        var store = _harness.Open(o => o.MaxBytes = 1800);
        await using var cache = new ResponseCache(new ResponseCacheOptions { MemoryMaxBytes = 1, TrainDictionary = false }, store, _harness.Time, new ClaudeCacheMetrics());
        var older = NewKey();
        var newer = NewKey();
        cache.Set(older, Response("older", 1000));
        await cache.FlushAsync(Token);
        _harness.Time.Advance(TimeSpan.FromMinutes(1));
        cache.Set(newer, Response("newer", 1000));
        await cache.FlushAsync(Token);
        // The second write overshoots the cap and starts a cleanup of its own; this one finds it done or does it.
        await store.CleanupAsync(Token);

        Assert.Equal(MissReason.Evicted, (await cache.LookupAsync(older, Token)).Reason);
        Assert.True((await cache.LookupAsync(newer, Token)).IsFresh);
    }

    [Fact]
    public async Task ThroughTheResponseCache_AnExpiredEntryKeptForItsGrace_IsFoundStale_ThenExpired()
    {
        var store = _harness.Open();
        await using var cache = new ResponseCache(new ResponseCacheOptions { TrainDictionary = false }, store, _harness.Time, new ClaudeCacheMetrics())
        {
            GraceOf = s => s == CacheStrategy.Standard ? TimeSpan.FromHours(24) : TimeSpan.Zero,
        };
        var key = NewKey();
        cache.Set(key, Response("answer", 10));
        await cache.FlushAsync(Token);

        _harness.Time.Advance(TimeSpan.FromHours(2));
        var stale = await cache.LookupAsync(key, Token);
        _harness.Time.Advance(TimeSpan.FromHours(24));
        await store.CleanupAsync(Token);
        var gone = await cache.LookupAsync(key, Token);

        Assert.False(stale.IsFresh);
        Assert.Equal(MissReason.Expired, stale.Reason);
        Assert.NotNull(stale.Stale);
        Assert.Null(await cache.GetAsync(key, Token)); // GetAsync answers fresh entries only
        Assert.Null(gone.Entry);
        Assert.Equal(MissReason.Expired, gone.Reason);
    }

    private static CacheKey NewKey() => new(RandomNumberGenerator.GetBytes(CacheKey.SizeInBytes));

    private CachedResponse Response(string id, int padding) => new()
    {
        Kind = ResponseKind.Message,
        CreatedAt = _harness.Now,
        ExpiresAt = _harness.Now.AddHours(1),
        Strategy = CacheStrategy.Standard,
        // Random text: it does not compress, so its stored size is known.
        Body = Encoding.UTF8.GetBytes($$"""{"id":"{{id}}","type":"message","pad":"{{Convert.ToHexString(RandomNumberGenerator.GetBytes(padding))}}"}"""),
    };
}
