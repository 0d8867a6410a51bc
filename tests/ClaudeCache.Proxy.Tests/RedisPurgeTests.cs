using System.Net;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using ClaudeCache.Testing.Redis;

namespace ClaudeCache.Proxy.Tests;

/// <summary>Purges on two proxy instances sharing one real Redis: one purges, both forget (docs/invalidation.md).</summary>
public sealed class RedisPurgeTests
{
    private static Dictionary<string, string?> RedisSettings(string configuration) => new()
    {
        ["ClaudeCache:Storage:Provider"] = "redis",
        ["ClaudeCache:Storage:Redis:Configuration"] = configuration,
        ["ClaudeCache:Storage:Redis:KeyPrefix"] = "t" + Guid.NewGuid().ToString("N")[..8] + ":",
        // Loopback on a busy 2-core machine: allow more than the production default of 50 ms.
        ["ClaudeCache:Storage:Redis:OperationTimeout"] = "00:00:00.500",
    };

    private static async Task<(string Status, string Key)> SendAsync(ProxyHost proxy, string prompt, params (string Name, string Value)[] headers)
    {
        var (response, _) = await Requests.SendAsync(proxy.Client, Requests.Body(prompt), headers);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response.Header("x-cache"), response.Header("x-cache-key"));
    }

    [Fact]
    public async Task APurgeOnOneInstance_EmptiesBothMemoryTiers_AndTheSharedStore()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var settings = RedisSettings(redis.EndPoint);
        await using var a = await ProxyHost.StartAsync(upstream, settings: settings);
        await using var b = await ProxyHost.StartAsync(upstream, settings: settings);
        var (_, tagged) = await SendAsync(a, "Analyse 12 Oak Street", ("x-cache-tags", "listing-42"));
        var (_, kept) = await SendAsync(a, "Analyse 16 Oak Street", ("x-cache-tags", "listing-43"));
        await a.SettleAsync();
        Assert.Equal("HIT", (await SendAsync(b, "Analyse 12 Oak Street")).Status);
        Assert.NotNull(a.Cache.Memory.Get(tagged, a.Clock.GetUtcNow()));
        Assert.NotNull(b.Cache.Memory.Get(tagged, b.Clock.GetUtcNow()));

        Assert.Equal(1, await Purges.MatchedAsync(a, "tag=listing-42"));

        Assert.Null(a.Cache.Memory.Get(tagged, a.Clock.GetUtcNow()));
        Assert.True(
            await Polling.UntilAsync(() => b.Cache.Memory.Get(tagged, b.Clock.GetUtcNow()) is null),
            "B's memory tier still held the purged entry");
        Assert.Equal("MISS", (await SendAsync(b, "Analyse 12 Oak Street")).Status);
        Assert.Equal("HIT", (await SendAsync(b, "Analyse 16 Oak Street")).Status);
        Assert.NotNull(a.Cache.Memory.Get(kept, a.Clock.GetUtcNow()));
        Assert.Equal(3, upstream.MessagesCalls);
    }

    [Fact]
    public async Task DryRunsAndCombinedFilters_CountTheSharedStore_FromEitherInstance()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var settings = RedisSettings(redis.EndPoint);
        await using var a = await ProxyHost.StartAsync(upstream, settings: settings);
        await using var b = await ProxyHost.StartAsync(upstream, settings: settings);
        await SendAsync(a, "Analyse 12 Oak Street", ("x-cache-context", "property_analysis"), ("x-cache-tags", "oak"));
        await SendAsync(a, "Analyse 14 Oak Street", ("x-cache-context", "property_analysis"), ("x-cache-namespace", "team-a"));
        await SendAsync(a, "Explain a cap rate", ("x-cache-tags", "oak"));
        await a.SettleAsync();

        Assert.Equal(2, await Purges.MatchedAsync(b, "context=property_analysis&dryRun=true"));
        Assert.Equal(1, await Purges.MatchedAsync(b, "context=property_analysis&tag=oak&dryRun=true"));
        Assert.Equal(1, await Purges.MatchedAsync(b, "namespace=team-a&dryRun=true"));
        Assert.Equal(1, await Purges.MatchedAsync(b, "strategy=aggressive&dryRun=true"));
        Assert.Equal(0, await Purges.MatchedAsync(b, "olderThan=1m&dryRun=true"));
        b.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(3, await Purges.MatchedAsync(b, "olderThan=1m&dryRun=true"));
        Assert.Equal(3, await Purges.MatchedAsync(b, "tenant=" + Purges.TenantTag("sk-ant-test-key-1") + "&dryRun=true"));
        Assert.Equal(0, await Purges.MatchedAsync(b, "tenant=" + Purges.TenantTag("sk-ant-test-key-2") + "&dryRun=true"));

        Assert.Equal(2, await Purges.MatchedAsync(b, "tag=oak"));
        Assert.Equal(0, await Purges.MatchedAsync(a, "tag=oak&dryRun=true"));
        Assert.Equal("MISS", (await SendAsync(a, "Explain a cap rate")).Status);
        Assert.Equal("HIT", (await SendAsync(a, "Analyse 14 Oak Street", ("x-cache-context", "property_analysis"), ("x-cache-namespace", "team-a"))).Status);
    }

    [Fact]
    public async Task WithRedisDown_APurgeIsA503_NotACount()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        await using var a = await ProxyHost.StartAsync(upstream, settings: RedisSettings(redis.EndPoint));
        await SendAsync(a, "Analyse 12 Oak Street", ("x-cache-tags", "listing-42"));
        await a.SettleAsync();
        await redis.StopAsync();

        var (status, body) = await Purges.PurgeAsync(a, "tag=listing-42");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("api_error", body.GetProperty("error").GetProperty("type").GetString());
    }
}
