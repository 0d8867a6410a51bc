using System.Net;
using ClaudeCache.Extensions.AI;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Tests;

public sealed class StoreTests
{
    [Fact]
    public async Task ResponseCachedBeforeARestart_IsAHitAfterIt()
    {
        var database = TempFiles.NewDatabasePath();
        await using var upstream = await Testing.FakeAnthropicUpstream.StartAsync();
        var body = Requests.Body("Explain what escrow is", stream: true);

        var first = await ProxyHost.StartAsync(upstream, database);
        var (_, original) = await Requests.SendAsync(first.Client, body);
        await first.SettleAsync();
        await first.StopKeepingUpstreamAsync();

        await using var second = await ProxyHost.StartAsync(upstream, database);
        var (hit, replayed) = await Requests.SendAsync(second.Client, body);

        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal(original, replayed);
        Assert.Equal(1, upstream.MessagesCalls);
    }

    [Fact]
    public async Task SqliteTier_ServesAHit_WhenTheMemoryTierIsCold()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Explain what escrow is");
        await Requests.SendAsync(proxy.Client, body);
        await proxy.SettleAsync();
        proxy.Cache.Memory.Clear();

        var (hit, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal(1, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task CorruptedDatabaseDuringARun_RequestsStillSucceedThroughUpstream()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Explain what escrow is");
        await Requests.SendAsync(proxy.Client, body);
        await proxy.SettleAsync();

        // Overwrite the database (and its WAL) with garbage while the proxy runs.
        var garbage = Enumerable.Repeat((byte)0x5A, 64 * 1024).ToArray();
        await File.WriteAllBytesAsync(proxy.DatabasePath, garbage);
        foreach (var sidecar in new[] { proxy.DatabasePath + "-wal", proxy.DatabasePath + "-shm" })
        {
            if (File.Exists(sidecar))
            {
                await File.WriteAllBytesAsync(sidecar, garbage);
            }
        }

        proxy.Cache.Memory.Clear();
        var metrics = proxy.Services.GetRequiredService<ClaudeCacheMetrics>();

        var (again, _) = await Requests.SendAsync(proxy.Client, body);
        var (fresh, _) = await Requests.SendAsync(proxy.Client, Requests.Body("A new question after the corruption"));
        await proxy.SettleAsync();

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.True(metrics.StoreErrors > 0, "store failures are counted");
        Assert.True(proxy.Upstream.MessagesCalls >= 2);
    }

    [Fact]
    public async Task UnwritableDatabaseLocation_RequestsStillSucceedThroughUpstream()
    {
        // A path under a regular file can be neither created nor written, even by root.
        var blocker = TempFiles.NewDatabasePath();
        await File.WriteAllTextAsync(blocker, "not a directory");
        await using var proxy = await ProxyHost.StartAsync(databasePath: Path.Combine(blocker, "cache.db"));
        var body = Requests.Body("Explain what escrow is");

        var (first, _) = await Requests.SendAsync(proxy.Client, body);
        await proxy.SettleAsync();
        proxy.Cache.Memory.Clear();
        var (second, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.True(proxy.Services.GetRequiredService<ClaudeCacheMetrics>().StoreErrors > 0);
    }

    public static TheoryData<string> Strategies => new() { "aggressive", "standard", "conservative", "real-time" };

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task EachStrategy_ExpiresAfterItsTtl_OnTheClock(string strategy)
    {
        await using var proxy = await ProxyHost.StartAsync();
        var options = proxy.Services.GetRequiredService<IOptions<ClaudeCacheOptions>>().Value.Strategies;
        var ttl = strategy switch
        {
            "aggressive" => options.AggressiveTtl,
            "standard" => options.StandardTtl,
            "conservative" => options.ConservativeTtl,
            _ => options.RealTimeTtl,
        };
        var body = Requests.Body($"Question under the {strategy} strategy");
        (string, string) header = ("x-cache-strategy", strategy);
        await Requests.SendAsync(proxy.Client, body, header);
        await proxy.SettleAsync();

        proxy.Clock.Advance(ttl - TimeSpan.FromSeconds(1));
        var (before, _) = await Requests.SendAsync(proxy.Client, body, header);
        proxy.Cache.Memory.Clear();
        var (beforeFromSqlite, _) = await Requests.SendAsync(proxy.Client, body, header);
        proxy.Clock.Advance(TimeSpan.FromSeconds(2));
        var (after, _) = await Requests.SendAsync(proxy.Client, body, header);

        Assert.Equal("HIT", before.Header("x-cache"));
        Assert.Equal("HIT", beforeFromSqlite.Header("x-cache"));
        Assert.Equal("MISS", after.Header("x-cache"));
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task MaxAgeDirective_OverridesTheTtl()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Explain what escrow is");
        await Requests.SendAsync(proxy.Client, body, ("Cache-Control", "max-age=600"));

        proxy.Clock.Advance(TimeSpan.FromSeconds(601));
        var (after, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal("MISS", after.Header("x-cache"));
    }
}
