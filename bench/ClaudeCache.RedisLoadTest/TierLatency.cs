using System.Diagnostics;
using System.Security.Cryptography;
using ClaudeCache.Bench;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Storage.Redis;
using ClaudeCache.Storage.Sqlite;
using ClaudeCache.Telemetry;

namespace ClaudeCache.RedisLoadTest;

/// <summary>
/// Section 1: sequential <see cref="ResponseCache.GetAsync"/> hits with a cold memory tier, one lookup at a time,
/// Redis and SQLite in the same process, rounds alternating which tier goes first. The memory tier is cleared before
/// each lookup, outside the timed region; the time covers the second-tier read, decode and promotion.
/// </summary>
internal sealed class TierLatency : IAsyncDisposable
{
    /// <summary>A row of the table: which store, which stored shape.</summary>
    public sealed record Case(string Store, string Shape);

    private readonly ResponseCache _memory;
    private readonly ResponseCache _sqlite;
    private readonly ResponseCache _redis;
    private readonly RedisConnection _connection;
    private readonly string _directory;
    private readonly Dictionary<string, CacheKey> _keys;

    private TierLatency(ResponseCache memory, ResponseCache sqlite, ResponseCache redis, RedisConnection connection, string directory, Dictionary<string, CacheKey> keys)
    {
        _memory = memory;
        _sqlite = sqlite;
        _redis = redis;
        _connection = connection;
        _directory = directory;
        _keys = keys;
    }

    public static async Task<TierLatency> CreateAsync(string redisEndPoint)
    {
        var (messageJson, sse) = await Samples.CaptureFromFakeAsync();
        var directory = Path.Combine(Path.GetTempPath(), "claudecache-redisload-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var sqliteTier = new SqliteSecondTier(
            new SqliteStoreOptions { Path = Path.Combine(directory, "tier.db"), CleanupInterval = Timeout.InfiniteTimeSpan },
            TimeProvider.System);
        // One second, not the production 50 ms: a stall on the shared machine must be measured, not turned into a miss.
        var connection = new RedisConnection(new RedisStoreOptions
        {
            Configuration = redisEndPoint,
            KeyPrefix = "tier:",
            OperationTimeout = TimeSpan.FromSeconds(1),
        });
        await connection.ConnectAsync(CancellationToken.None);
        var redisTier = new RedisSecondTier(connection, TimeProvider.System);

        var memory = new ResponseCache(new ResponseCacheOptions(), null, TimeProvider.System, new ClaudeCacheMetrics());
        var sqlite = new ResponseCache(new ResponseCacheOptions(), sqliteTier, TimeProvider.System, new ClaudeCacheMetrics());
        var redis = new ResponseCache(new ResponseCacheOptions(), redisTier, TimeProvider.System, new ClaudeCacheMetrics());

        var keys = new Dictionary<string, CacheKey>();
        foreach (var shape in new[] { "Json", "Stream" })
        {
            var entry = Samples.Entry(messageJson, shape == "Stream" ? sse : null, DateTimeOffset.UtcNow.AddMinutes(-1)) with
            {
                ExpiresAt = DateTimeOffset.UtcNow.AddDays(30),
            };
            var payload = EntryCodec.Encode(entry);
            var key = new CacheKey(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("redis-load-" + shape)));
            keys[shape] = key;
            memory.Set(key, entry);
            foreach (var tier in new ISecondTier[] { sqliteTier, redisTier })
            {
                // 1,000 neighbours, as in the micro-benchmarks, so the lookup is not into an empty store.
                for (var i = 0; i < 1_000; i++)
                {
                    var other = new CacheKey(SHA256.HashData(BitConverter.GetBytes(i)));
                    await tier.SetAsync(other.ToHex(), payload, entry.ExpiresAt, CancellationToken.None);
                }

                await tier.SetAsync(key.ToHex(), payload, entry.ExpiresAt, CancellationToken.None);
            }
        }

        return new TierLatency(memory, sqlite, redis, connection, directory, keys);
    }

    public static IReadOnlyList<Case> Cases { get; } =
    [
        new("memory (warm, reference)", "Json"), new("SQLite", "Json"), new("Redis", "Json"),
        new("memory (warm, reference)", "Stream"), new("SQLite", "Stream"), new("Redis", "Stream"),
    ];

    /// <summary>One round: every case once; the order of SQLite and Redis flips with <paramref name="round"/>.</summary>
    public async Task<Dictionary<Case, Sample>> RunRoundAsync(int round, int lookups)
    {
        var results = new Dictionary<Case, Sample>();
        var order = round % 2 == 0 ? Cases : Cases.Reverse().ToArray();
        foreach (var c in order)
        {
            results[c] = await MeasureAsync(c, lookups);
        }

        return results;
    }

    private async Task<Sample> MeasureAsync(Case c, int lookups)
    {
        var key = _keys[c.Shape];
        var (cache, cold) = c.Store switch
        {
            "SQLite" => (_sqlite, true),
            "Redis" => (_redis, true),
            _ => (_memory, false),
        };
        var latencies = new long[lookups];
        var misses = 0;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < lookups; i++)
        {
            if (cold)
            {
                cache.Memory.Clear();
            }

            var before = Stopwatch.GetTimestamp();
            var entry = await cache.GetAsync(key, CancellationToken.None);
            latencies[i] = Stopwatch.GetTimestamp() - before;
            if (entry is null)
            {
                misses++;
            }
        }

        var elapsed = Stopwatch.GetTimestamp() - start;
        Array.Sort(latencies);
        return new Sample(latencies, elapsed, 0, misses);
    }

    public async ValueTask DisposeAsync()
    {
        await _memory.DisposeAsync();
        await _sqlite.DisposeAsync();
        await _redis.DisposeAsync();
        await _connection.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
