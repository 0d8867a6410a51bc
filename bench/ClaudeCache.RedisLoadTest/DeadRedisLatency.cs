using System.Diagnostics;
using System.Security.Cryptography;
using ClaudeCache.Bench;
using ClaudeCache.Caching;
using ClaudeCache.Keys;
using ClaudeCache.Storage.Redis;
using ClaudeCache.Telemetry;
using ClaudeCache.Testing.Redis;

namespace ClaudeCache.RedisLoadTest;

/// <summary>
/// Section 3: what a lookup costs when Redis goes away, with production options (50 ms operation timeout). A
/// redis-server of its own holds the entry; two cache instances read it once (a hit), then the memory tier is cleared
/// before every timed <see cref="ResponseCache.GetAsync"/>:
/// <list type="bullet">
/// <item><b>stalled</b>: the server stops answering (<c>CLIENT PAUSE … ALL</c>) but keeps the connection open: each
/// lookup waits for the operation timeout, then is a miss.</item>
/// <item><b>killed</b>: the server is killed (SIGKILL): the client refuses commands at once while disconnected, so a
/// lookup is a quick miss (docs/reliability.md).</item>
/// </list>
/// The tests (<c>RedisFailOpenTests</c>) assert the mechanisms; the numbers live here.
/// </summary>
internal static class DeadRedisLatency
{
    public sealed record Result(Sample Stalled, long StalledStoreErrors, Sample Killed, long KilledStoreErrors);

    public static async Task<Result> RunAsync(int lookups, int stalledLookups)
    {
        var (messageJson, _) = await Samples.CaptureFromFakeAsync();
        var entry = Samples.Entry(messageJson, null, DateTimeOffset.UtcNow.AddMinutes(-1)) with { ExpiresAt = DateTimeOffset.UtcNow.AddDays(30) };
        var key = new CacheKey(SHA256.HashData("dead-redis-latency"u8));

        await using var server = await RedisServer.StartAsync();
        var prefix = "dead" + Guid.NewGuid().ToString("N")[..8] + ":";
        await using var stalling = await CacheAsync(server.EndPoint, prefix);
        await using var killing = await CacheAsync(server.EndPoint, prefix);
        stalling.Set(key, entry);
        await stalling.FlushAsync(CancellationToken.None);
        foreach (var cache in new[] { stalling, killing })
        {
            for (var i = 0; i < 100; i++)
            {
                cache.Memory.Clear();
                if (await cache.GetAsync(key, CancellationToken.None) is null)
                {
                    throw new InvalidOperationException("The entry was not found in Redis before the outage.");
                }
            }
        }

        // The pause outlasts the run; the server is killed right after.
        await server.SendAsync("CLIENT", "PAUSE", "600000", "ALL");
        var stalledErrors = stalling.Metrics.StoreErrors;
        var stalled = await MeasureAsync(stalling, key, stalledLookups);
        stalledErrors = stalling.Metrics.StoreErrors - stalledErrors;

        await server.StopAsync();
        var killedErrors = killing.Metrics.StoreErrors;
        var killed = await MeasureAsync(killing, key, lookups);
        killedErrors = killing.Metrics.StoreErrors - killedErrors;
        return new Result(stalled, stalledErrors, killed, killedErrors);
    }

    /// <summary>Timed lookups; <see cref="Sample.Unexpected"/> counts those that were not a miss.</summary>
    private static async Task<Sample> MeasureAsync(ResponseCache cache, CacheKey key, int lookups)
    {
        var latencies = new long[lookups];
        var unexpected = 0;
        var run = Stopwatch.StartNew();
        for (var i = 0; i < lookups; i++)
        {
            cache.Memory.Clear();
            var started = Stopwatch.GetTimestamp();
            var found = await cache.GetAsync(key, CancellationToken.None);
            latencies[i] = Stopwatch.GetTimestamp() - started;
            unexpected += found is null ? 0 : 1;
        }

        Array.Sort(latencies);
        return new Sample(latencies, run.ElapsedTicks, 0, unexpected);
    }

    // As a host would: production options, connected at start-up.
    private static async Task<ResponseCache> CacheAsync(string endPoint, string prefix)
    {
        var tier = new RedisSecondTier(new RedisStoreOptions { Configuration = endPoint, KeyPrefix = prefix }, TimeProvider.System);
        await tier.Connection.ConnectAsync(CancellationToken.None);
        return new ResponseCache(new ResponseCacheOptions(), tier, TimeProvider.System, new ClaudeCacheMetrics());
    }
}
