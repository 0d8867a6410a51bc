using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Storage.Redis;
using ClaudeCache.Storage.Sqlite;
using ClaudeCache.Telemetry;
using ClaudeCache.Testing.Redis;

namespace ClaudeCache.Benchmarks;

/// <summary>
/// Step 5–6 with a cold memory tier, Redis against SQLite in the same run: <see cref="ResponseCache.GetAsync"/> with the
/// memory tier cleared before each call, so the answer comes from the second tier, is decoded and promoted.
/// Redis is a real <c>redis-server</c> on loopback, started in <see cref="Setup"/> and killed in <see cref="Cleanup"/>;
/// both stores hold 1,000 other entries. See docs/redis-benchmarks.md.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PercentileConfig))]
public class RedisHitBenchmarks
{
    private string _directory = "";
    private RedisServer? _redis;
    private RedisConnection? _connection;
    private RedisSecondTier _redisTier = null!;
    private ResponseCache _redisCache = null!;
    private ResponseCache _sqliteCache = null!;
    private CacheKey _key;
    private string _hex = "";
    private long _misses;

    [Params(EntryShape.Json, EntryShape.Stream)]
    public EntryShape Entry { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        var entry = SampleEntries.Create(Entry);
        var payload = EntryCodec.Encode(entry);
        _key = new CacheKey(System.Security.Cryptography.SHA256.HashData("bench"u8));
        _hex = _key.ToHex();

        _directory = Path.Combine(Path.GetTempPath(), "claudecache-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        var sqlite = new SqliteSecondTier(
            new SqliteStoreOptions { Path = Path.Combine(_directory, "bench.db"), CleanupInterval = Timeout.InfiniteTimeSpan },
            TimeProvider.System);
        _sqliteCache = new ResponseCache(new ResponseCacheOptions(), sqlite, TimeProvider.System, new ClaudeCacheMetrics());

        _redis = await RedisServer.StartAsync();
        // A generous timeout: on a shared 2-core machine a 50 ms stall would turn a hit into a miss and the
        // benchmark would time the failure path. Misses are counted and reported in Cleanup.
        _connection = new RedisConnection(new RedisStoreOptions
        {
            Configuration = _redis.EndPoint,
            KeyPrefix = "bench:",
            OperationTimeout = TimeSpan.FromSeconds(1),
        });
        await _connection.ConnectAsync(CancellationToken.None);
        _redisTier = new RedisSecondTier(_connection, TimeProvider.System);
        _redisCache = new ResponseCache(new ResponseCacheOptions(), _redisTier, TimeProvider.System, new ClaudeCacheMetrics());

        foreach (var tier in new ISecondTier[] { sqlite, _redisTier })
        {
            for (var i = 0; i < 1_000; i++)
            {
                var other = new CacheKey(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));
                await tier.SetAsync(other.ToHex(), payload, entry.ExpiresAt, CancellationToken.None);
            }

            await tier.SetAsync(_hex, payload, entry.ExpiresAt, CancellationToken.None);
        }

        _sqliteCache.Memory.Clear();
        _redisCache.Memory.Clear();
        if (await _redisCache.GetAsync(_key, CancellationToken.None) is null || await _sqliteCache.GetAsync(_key, CancellationToken.None) is null)
        {
            throw new InvalidOperationException("The benchmark entry is not a hit.");
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        if (Interlocked.Read(ref _misses) > 0)
        {
            Console.WriteLine($"// WARNING: {_misses} cold-memory lookups missed (timeouts); the timings include them.");
        }

        await _redisCache.DisposeAsync();
        await _sqliteCache.DisposeAsync();
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "SQLite: ResponseCache.GetAsync, memory cleared first")]
    public async Task<CachedResponse?> SqliteColdMemory()
    {
        _sqliteCache.Memory.Clear();
        return Count(await _sqliteCache.GetAsync(_key, CancellationToken.None));
    }

    [Benchmark(Description = "Redis: ResponseCache.GetAsync, memory cleared first")]
    public async Task<CachedResponse?> RedisColdMemory()
    {
        _redisCache.Memory.Clear();
        return Count(await _redisCache.GetAsync(_key, CancellationToken.None));
    }

    [Benchmark(Description = "Redis: RedisSecondTier.GetAsync (bytes only)")]
    public ValueTask<byte[]?> RedisBytesOnly() => _redisTier.GetAsync(_hex, CancellationToken.None);

    private CachedResponse? Count(CachedResponse? entry)
    {
        if (entry is null)
        {
            Interlocked.Increment(ref _misses);
        }

        return entry;
    }

    /// <summary>Adds the P95 column next to the Median the program always shows.</summary>
    private sealed class PercentileConfig : ManualConfig
    {
        public PercentileConfig() => AddColumn(StatisticColumn.P95);
    }
}
