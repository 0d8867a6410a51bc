using ClaudeCache.Caching;
using ClaudeCache.Policy;
using ClaudeCache.Storage.Redis;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>The purge index on a real Redis: every key it writes expires no sooner than its entry.</summary>
public sealed class RedisEntryIndexTests(RedisServerFixture fixture)
{
    [Fact]
    public async Task EveryIndexKey_HasAnExpiry_NoShorterThanItsEntrys_AndThePurgeRemovesThemAll()
    {
        var options = TestRedis.Options(fixture.Server.EndPoint);
        await using var connection = new RedisConnection(options);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        var tier = new RedisSecondTier(connection, time);
        var ct = TestContext.Current.CancellationToken;
        var key = TestRedis.NewKey();
        var metadata = new EntryMetadata("tenant-a", "team-a", "claude-sonnet-4-5", CacheStrategy.Aggressive, "explanation", time.GetUtcNow(), ["faq", "v3"]);
        await tier.SetAsync(key, TestRedis.Payload(100), time.GetUtcNow().AddHours(2), metadata, ct);
        await tier.SetAsync(TestRedis.NewKey(), TestRedis.Payload(100), time.GetUtcNow().AddMinutes(10), metadata with { Tags = ["faq"] }, ct);

        var database = await connection.GetDatabaseAsync(ct);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(fixture.Server.EndPoint);
        var keys = admin.GetServer(fixture.Server.EndPoint).Keys(pattern: options.KeyPrefix + "*").ToList();
        // 2 entries, 2 hashes, and the sets of faq, v3, tenant, namespace, model, context, strategy.
        Assert.Equal(11, keys.Count);
        foreach (var redisKey in keys)
        {
            var ttl = await database.KeyTimeToLiveAsync(redisKey);
            Assert.True(ttl is { } t && t > TimeSpan.Zero, $"{redisKey} has no expiry");
            if (!((string)redisKey!).Contains(":e:", StringComparison.Ordinal) && !((string)redisKey!).Contains(":ix:m:", StringComparison.Ordinal))
            {
                Assert.True(ttl > TimeSpan.FromMinutes(110), $"{redisKey} expires before its longest-lived member");
            }
        }

        var matched = 0;
        await foreach (var batch in tier.PurgeAsync(new PurgeFilter { Tag = "faq" }, dryRun: false, ct))
        {
            matched += batch.Count;
        }

        Assert.Equal(2, matched);
        Assert.Empty(admin.GetServer(fixture.Server.EndPoint).Keys(pattern: options.KeyPrefix + "*"));
    }
}
