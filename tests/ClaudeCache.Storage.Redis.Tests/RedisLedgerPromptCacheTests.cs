using ClaudeCache.Costs;
using ClaudeCache.Storage.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>The ledger's prompt-cache counters on a real Redis: added by every instance, negative savings included.</summary>
public sealed class RedisLedgerPromptCacheTests(RedisServerFixture fixture)
{
    [Fact]
    public async Task PromptCacheCounters_AddAcrossInstances_NegativeSavingsIncluded()
    {
        var options = TestRedis.Options(fixture.Server.EndPoint);
        await using var first = new RedisConnection(options);
        await using var second = new RedisConnection(options);
        var ct = TestContext.Current.CancellationToken;
        const long Minute = 29_000_000;
        static LedgerRow Row(long calls, long saved, long write) => new()
        {
            Minute = Minute, Model = "claude-sonnet-4-5", Strategy = "standard", Outcome = "miss", Requests = calls,
            PromptCacheCalls = calls, PromptCacheSavedNanos = saved, PromptCacheWriteNanos = write,
        };

        await new RedisLedgerStore(first).AddAsync([Row(1, -1_500_000, 7_500_000)], [], ct);
        await new RedisLedgerStore(second).AddAsync([Row(2, 4_000_000, 1_000_000)], [], ct);

        var row = Assert.Single(await new RedisLedgerStore(first).QueryAsync(Minute, Minute + 1, ct));
        Assert.Equal(3, row.PromptCacheCalls);
        Assert.Equal(2_500_000, row.PromptCacheSavedNanos);
        Assert.Equal(8_500_000, row.PromptCacheWriteNanos);
    }
}
