using System.Text.Json;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using ClaudeCache.Testing.Redis;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// Stale answers and miss reasons in <c>/admin/stats</c> come from the ledger: for the range asked, and still there
/// after a restart, on SQLite and on Redis (docs/serve-stale.md).
/// </summary>
public sealed class ServingStatsTests
{
    private static readonly (string, string) Standard = ("x-cache-strategy", "standard");

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public async Task StaleAndMissReasonCounts_AreTheRangesOwn_AndSurviveARestart(string store)
    {
        await using var redis = store == "redis" ? await RedisServer.StartAsync() : null;
        var settings = redis is null ? null : new Dictionary<string, string?>
        {
            ["ClaudeCache:Storage:Provider"] = "redis",
            ["ClaudeCache:Storage:Redis:Configuration"] = redis.EndPoint,
            ["ClaudeCache:Storage:Redis:KeyPrefix"] = "t" + Guid.NewGuid().ToString("N")[..8] + ":",
            ["ClaudeCache:Storage:Redis:OperationTimeout"] = "00:00:00.500",
        };
        var database = TempFiles.NewDatabasePath();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        var body = Requests.Body("Analyse 12 Oak Street");

        await using (var first = await ProxyHost.StartAsync(databasePath: database, settings: settings, clock: clock))
        {
            await Requests.SendAsync(first.Client, body, Standard);
            await Requests.SendAsync(first.Client, body, Standard, ("Cache-Control", "no-store"));
            await first.SettleAsync();
            // A miss is stamped when its call is judged: let the ledger have both before the clock moves.
            await CostAccountingTests.StatsAsync(first, 2);
            clock.Advance(TimeSpan.FromHours(7));
            first.Upstream.Responder = _ => FakeReply.Overloaded();
            var (stale, _) = await Requests.SendAsync(first.Client, body, Standard);
            Assert.Equal("STALE", stale.Header("x-cache"));
            await CostAccountingTests.StatsAsync(first, 3);

            // The last hour holds the stale answer only; the day holds the misses too.
            var hour = await ServingAsync(first, "window=1h");
            Assert.Equal(1, hour.GetProperty("staleServed").GetInt64());
            Assert.Equal(1, hour.GetProperty("staleByReason").GetProperty("upstream 529").GetInt64());
            Assert.True(hour.GetProperty("staleSavedUsd").GetDecimal() > 0);
            Assert.Equal(0, hour.GetProperty("missReasons").GetProperty("new").GetInt64());
            Assert.Equal(0, hour.GetProperty("missReasons").GetProperty("bypass").GetInt64());
            var day = await ServingAsync(first, "window=24h");
            Assert.Equal(1, day.GetProperty("missReasons").GetProperty("new").GetInt64());
            Assert.Equal(1, day.GetProperty("missReasons").GetProperty("bypass").GetInt64());
            Assert.Equal(1, day.GetProperty("staleServed").GetInt64());
        }

        // A new process on the same store: its own counters start at 0, the ledger's figures stay.
        await using var second = await ProxyHost.StartAsync(databasePath: database, settings: settings, clock: clock);
        var after = await ServingAsync(second, "window=24h");
        Assert.Equal(1, after.GetProperty("staleServed").GetInt64());
        Assert.Equal(1, after.GetProperty("staleByReason").GetProperty("upstream 529").GetInt64());
        Assert.Equal(1, after.GetProperty("missReasons").GetProperty("new").GetInt64());
        Assert.Equal(1, after.GetProperty("missReasons").GetProperty("bypass").GetInt64());
        Assert.Equal(0, after.GetProperty("missReasons").GetProperty("expired").GetInt64());
    }

    private static async Task<JsonElement> ServingAsync(ProxyHost proxy, string query)
    {
        using var admin = proxy.CreateAdminClient();
        using var json = JsonDocument.Parse(await admin.GetStringAsync("admin/stats?" + query, TestContext.Current.CancellationToken));
        return json.RootElement.GetProperty("serving").Clone();
    }
}
