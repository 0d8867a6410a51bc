using System.Net;
using System.Text;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using ClaudeCache.Testing.Redis;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Proxy.Tests;

/// <summary>Two proxy instances sharing a real Redis: one stores, the other serves the expired entry stale and tells the miss reasons the first left.</summary>
public sealed class DistributedServeStaleTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> RedisSettings(string configuration) => new()
    {
        ["ClaudeCache:Storage:Provider"] = "redis",
        ["ClaudeCache:Storage:Redis:Configuration"] = configuration,
        ["ClaudeCache:Storage:Redis:KeyPrefix"] = "t" + Guid.NewGuid().ToString("N")[..8] + ":",
        // Loopback on a busy 2-core machine: allow more than the production default of 50 ms.
        ["ClaudeCache:Storage:Redis:OperationTimeout"] = "00:00:00.500",
    };

    [Fact]
    public async Task AnEntryStoredByOneInstance_IsServedStaleByTheOther_WhenTheUpstreamIsOverloaded()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync(Token);
        var settings = RedisSettings(redis.EndPoint);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        await using var a = await ProxyHost.StartAsync(upstream, settings: settings, clock: clock);
        await using var b = await ProxyHost.StartAsync(upstream, settings: settings, clock: clock);
        var body = Requests.Body("Analyse 12 Oak Street");
        (string, string) standard = ("x-cache-strategy", "standard");

        var (stored, storedBytes) = await Requests.SendAsync(a.Client, body, standard);
        await a.SettleAsync();
        clock.Advance(TimeSpan.FromHours(7)); // past the 6-hour TTL, within the 24-hour grace
        upstream.Responder = _ => FakeReply.Overloaded();
        var (stale, staleBytes) = await Requests.SendAsync(b.Client, body, standard);

        Assert.Equal("MISS", stored.Header("x-cache"));
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal("STALE", stale.Header("x-cache"));
        Assert.Equal("upstream 529", stale.Header("x-cache-stale-reason"));
        Assert.Equal(Encoding.UTF8.GetString(storedBytes), Encoding.UTF8.GetString(staleBytes));
    }

    [Fact]
    public async Task AnEntryInvalidatedOnOneInstance_MissesAsInvalidatedOnTheOther()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync(Token);
        var settings = RedisSettings(redis.EndPoint);
        await using var a = await ProxyHost.StartAsync(upstream, settings: settings);
        await using var b = await ProxyHost.StartAsync(upstream, settings: settings);
        var body = Requests.Body("Analyse 12 Oak Street");

        var (stored, _) = await Requests.SendAsync(a.Client, body);
        await a.SettleAsync();
        using var admin = a.CreateAdminClient();
        using (var deleted = await admin.DeleteAsync("admin/cache/" + stored.Header("x-cache-key"), Token))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var (after, _) = await Requests.SendAsync(b.Client, body);

        Assert.Equal("MISS", after.Header("x-cache"));
        Assert.Equal("invalidated", after.Header("x-cache-miss-reason"));
    }
}
