using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Storage.Redis;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>Every key the project writes to Redis has an expiry (docs/redis.md says so): nothing outlives its use.</summary>
public sealed class RedisKeyTtlTests(RedisServerFixture fixture)
{
    [Fact]
    public async Task EveryKeyWritten_ByTheLedgerTheTierAndTraining_HasAnExpiry()
    {
        var options = TestRedis.Options(fixture.Server.EndPoint);
        await using var connection = new RedisConnection(options);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        var tier = new RedisSecondTier(connection, time);
        var ledger = new RedisLedgerStore(connection);
        var minute = time.GetUtcNow().ToUnixTimeSeconds() / 60;
        var ct = TestContext.Current.CancellationToken;

        await ledger.AddAsync(
            [new LedgerRow { Minute = minute, Model = "claude-sonnet-4-5", Strategy = "standard", Outcome = "hit", Requests = 1 }],
            [new LatencyRow(minute, "hit", 3, 1)],
            ct);
        await tier.SaveDictionaryAsync(new StoredDictionary(7, new byte[64], time.GetUtcNow()), ct);
        Assert.True(await tier.TryClaimTrainingAsync("me", TimeSpan.FromMinutes(5), ct));
        await tier.SetAsync(TestRedis.NewKey(), TestRedis.Payload(100), time.GetUtcNow().AddHours(1), ct);
        var kept = TestRedis.NewKey();
        await tier.SetAsync(kept, TestRedis.Payload(100), time.GetUtcNow().AddHours(1), time.GetUtcNow().AddHours(25), ct);
        await tier.SetTombstoneAsync(TestRedis.NewKey(), MissReason.Invalidated, time.GetUtcNow().AddHours(24), ct);

        var database = await connection.GetDatabaseAsync(ct);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(fixture.Server.EndPoint);
        var server = admin.GetServer(fixture.Server.EndPoint);
        var keys = server.Keys(pattern: options.KeyPrefix + "*").ToList();
        Assert.Equal(8, keys.Count); // minute, latency, index, dictionaries, training, two entries, a tombstone
        // An entry kept for its grace expires with it, not at the end of its TTL.
        Assert.True(await database.KeyTimeToLiveAsync(options.KeyPrefix + "e:{" + kept + "}") > TimeSpan.FromHours(20));
        foreach (var key in keys)
        {
            var ttl = await database.KeyTimeToLiveAsync(key);
            Assert.True(ttl is { } t && t > TimeSpan.Zero, $"{key} has no expiry");
        }

        Assert.InRange((await database.KeyTimeToLiveAsync(options.KeyPrefix + "dictionaries"))!.Value, TimeSpan.FromDays(29), TimeSpan.FromDays(30));
        Assert.InRange((await database.KeyTimeToLiveAsync(options.KeyPrefix + "ledger:minutes"))!.Value, TimeSpan.FromDays(34), TimeSpan.FromDays(35));
    }

    [Fact]
    public async Task Pruning_DeletesMinutesBeforeTheRetention_AndKeepsTheRest()
    {
        var options = TestRedis.Options(fixture.Server.EndPoint);
        await using var connection = new RedisConnection(options);
        var ledger = new RedisLedgerStore(connection);
        var ct = TestContext.Current.CancellationToken;
        const long Day = 1440 * 20_000;
        await ledger.AddAsync(
            [
                new LedgerRow { Minute = Day - 5, Model = "m", Strategy = "standard", Outcome = "hit", Requests = 2 },
                new LedgerRow { Minute = Day + 5, Model = "m", Strategy = "standard", Outcome = "hit", Requests = 3 },
            ],
            [new LatencyRow(Day - 5, "hit", 1, 2), new LatencyRow(Day + 5, "hit", 1, 3)],
            ct);

        await ledger.PruneAsync(Day, 0, ct);

        var rows = await ledger.QueryAsync(0, Day * 2, ct);
        Assert.Equal(3, Assert.Single(rows).Requests);
        Assert.Equal(3, Assert.Single(await ledger.QueryLatencyAsync(0, Day * 2, ct)).Count);
        var database = await connection.GetDatabaseAsync(ct);
        Assert.False(await database.KeyExistsAsync($"{options.KeyPrefix}ledger:m:{Day - 5}"));
    }
}
