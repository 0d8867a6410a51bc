using ClaudeCache.Costs;
using ClaudeCache.Storage.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>The request log on a real Redis: rows of several instances, in time order; every key expires; pruned by age, then by count (whole hours, the one crossing the cap trimmed to its last rows).</summary>
public sealed class RedisRequestLogTests(RedisServerFixture fixture)
{
    private const long Hour = 3_600_000;

    private static RequestLogRow Row(long atMs, string key) => new()
    {
        AtMs = atMs, Tenant = "a1b2c3d4e5f6", Key = key, Strategy = "real-time", Context = "ctx", Model = "claude-haiku-4-5", Outcome = "hit",
        Lookup = true, Store = true, TtlSeconds = 900, InputTokens = 10, OutputTokens = 20, CostNanos = 0, AvoidedNanos = 77,
    };

    [Fact]
    public async Task Rows_RoundTrip_InTimeOrder_EveryKeyExpires_AndPruningKeepsTheNewest()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = TestRedis.Options(fixture.Server.EndPoint);
        await using var first = new RedisConnection(options);
        await using var second = new RedisConnection(options);
        const long Start = 490_000 * Hour;
        // Three hours, the rows of one instance interleaved with another's.
        var mine = Enumerable.Range(0, 30).Select(i => Row(Start + (i * 6 * 60_000), $"{i:x16}")).ToList();
        var theirs = Enumerable.Range(0, 30).Select(i => Row(Start + (i * 6 * 60_000) + 1, $"{i + 100:x16}")).ToList();
        await new RedisLedgerStore(first).AddRequestsAsync(mine, TimeSpan.FromDays(7), ct);
        await new RedisLedgerStore(second).AddRequestsAsync(theirs, TimeSpan.FromDays(7), ct);

        var store = new RedisLedgerStore(first);
        var read = await store.QueryRequestsAsync(Start, Start + (3 * Hour), ct);
        Assert.Equal(mine.Concat(theirs).OrderBy(r => r.AtMs), read);

        var database = await first.GetDatabaseAsync(ct);
        foreach (var key in new[] { RedisKeys.RequestLogIndex(options.KeyPrefix), RedisKeys.RequestLogHour(options.KeyPrefix, 490_000), RedisKeys.RequestLogHour(options.KeyPrefix, 490_002) })
        {
            var ttl = await database.KeyTimeToLiveAsync(key);
            Assert.NotNull(ttl);
            Assert.InRange(ttl.Value, TimeSpan.FromDays(7), TimeSpan.FromDays(7) + TimeSpan.FromHours(1));
        }

        // Age drops the first hour (20 rows); the cap keeps the newest hour (20 rows) whole and drops the one before it.
        await store.PruneRequestsAsync(Start + Hour, 20, ct);
        var kept = await store.QueryRequestsAsync(0, long.MaxValue, ct);
        Assert.Equal(read.TakeLast(20), kept);

        // An hour that crosses the cap keeps the rows appended last.
        await store.PruneRequestsAsync(Start + Hour, 5, ct);
        Assert.Equal(theirs.TakeLast(5), await store.QueryRequestsAsync(0, long.MaxValue, ct));
        Assert.False(await database.KeyExistsAsync(RedisKeys.RequestLogHour(options.KeyPrefix, 490_001)));
    }
}
