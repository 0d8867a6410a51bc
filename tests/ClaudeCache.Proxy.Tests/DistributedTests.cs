using System.Globalization;
using System.Net;
using System.Text;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using ClaudeCache.Testing.Redis;

namespace ClaudeCache.Proxy.Tests;

/// <summary>Several proxy instances sharing one real Redis (standalone and a three-primary cluster).</summary>
public sealed class DistributedTests
{
    private static Dictionary<string, string?> RedisSettings(string configuration, string prefix) => new()
    {
        ["ClaudeCache:Storage:Provider"] = "redis",
        ["ClaudeCache:Storage:Redis:Configuration"] = configuration,
        ["ClaudeCache:Storage:Redis:KeyPrefix"] = prefix,
        // Loopback on a busy 2-core machine: allow more than the production default of 50 ms.
        ["ClaudeCache:Storage:Redis:OperationTimeout"] = "00:00:00.500",
        ["ClaudeCache:Costs:LedgerFlushInterval"] = "00:00:00.200",
    };

    private static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..8] + ":";

    [Fact]
    public async Task MissOnOneInstance_IsAHitOnAnother_AndAnInvalidationReachesTheOthersMemoryWithinASecond()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var settings = RedisSettings(redis.EndPoint, NewPrefix());
        await using var a = await ProxyHost.StartAsync(upstream, settings: settings);
        await using var b = await ProxyHost.StartAsync(upstream, settings: settings);
        var body = Requests.Body("Analyse 12 Oak Street", stream: true);

        var (miss, missBytes) = await Requests.SendAsync(a.Client, body);
        await a.SettleAsync();
        var (hit, hitBytes) = await Requests.SendAsync(b.Client, body);

        Assert.Equal("MISS", miss.Header("x-cache"));
        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal(Encoding.UTF8.GetString(missBytes), Encoding.UTF8.GetString(hitBytes));
        Assert.Equal(1, upstream.MessagesCalls);
        var key = hit.Header("x-cache-key");
        Assert.NotNull(b.Cache.Memory.Get(key, b.Clock.GetUtcNow()));

        using var admin = a.CreateAdminClient();
        using var deleted = await admin.DeleteAsync("admin/cache/" + key);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var evictedWithin = await WaitAsync(() => b.Cache.Memory.Get(key, b.Clock.GetUtcNow()) is null, TimeSpan.FromSeconds(1));
        var (after, _) = await Requests.SendAsync(b.Client, body);

        Assert.True(evictedWithin, "B's memory tier still held the entry one second after A invalidated it");
        Assert.Equal("MISS", after.Header("x-cache"));
        Assert.Equal(2, upstream.MessagesCalls);
    }

    [Fact]
    public async Task RefreshOnOneInstance_EvictsTheOldAnswerFromTheOthers()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var settings = RedisSettings(redis.EndPoint, NewPrefix());
        await using var a = await ProxyHost.StartAsync(upstream, settings: settings);
        await using var b = await ProxyHost.StartAsync(upstream, settings: settings);
        var body = Requests.Body("Austin market summary");
        upstream.Responder = request => DefaultResponder.Reply(request) with { MessageId = "msg_first" };
        await Requests.SendAsync(a.Client, body);
        await a.SettleAsync();
        await Requests.SendAsync(b.Client, body);

        upstream.Responder = request => DefaultResponder.Reply(request) with { MessageId = "msg_second" };
        var (refresh, _) = await Requests.SendAsync(a.Client, body, ("Cache-Control", "no-cache"));
        await a.SettleAsync();
        var key = refresh.Header("x-cache-key");
        await WaitAsync(() => b.Cache.Memory.Get(key, b.Clock.GetUtcNow()) is null, TimeSpan.FromSeconds(1));
        var (fromB, bytes) = await Requests.SendAsync(b.Client, body);

        Assert.Equal("REFRESH", refresh.Header("x-cache"));
        Assert.Equal("HIT", fromB.Header("x-cache"));
        Assert.Contains("msg_second", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThreeInstances_100ConcurrentIdenticalMissesEach_MakeExactlyOneUpstreamCall()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var settings = RedisSettings(redis.EndPoint, NewPrefix());
        var instances = new[]
        {
            await ProxyHost.StartAsync(upstream, settings: settings),
            await ProxyHost.StartAsync(upstream, settings: settings),
            await ProxyHost.StartAsync(upstream, settings: settings),
        };
        try
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            upstream.BeforeRespond = (_, ct) => release.Task.WaitAsync(ct);
            var body = Requests.Body("Qualify the lead: pre-approved, $750k, 30 days");
            var handlers = instances.Select(_ => new SocketsHttpHandler { MaxConnectionsPerServer = 100 }).ToArray();
            var clients = instances.Select((proxy, i) =>
            {
                var client = new HttpClient(handlers[i]) { BaseAddress = proxy.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
                client.DefaultRequestHeaders.Add("x-api-key", "sk-ant-test-key-1");
                client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
                return client;
            }).ToArray();

            var requests = clients.SelectMany(client => Enumerable.Range(0, 100).Select(_ => Requests.SendAsync(client, body))).ToArray();
            // Every request but one per instance joins its instance's flight; the other instances' leaders wait on
            // the shared lease. Hold the one upstream call until all of that has happened.
            await WaitAsync(() => upstream.MessagesCalls >= 1 && instances.Sum(CoalescingTests.Coalesced) >= 297, TimeSpan.FromSeconds(30));
            release.SetResult();
            var results = await Task.WhenAll(requests);

            Assert.Equal(1, upstream.MessagesCalls);
            var expected = Encoding.UTF8.GetString(results[0].Body);
            Assert.All(results, r =>
            {
                Assert.Equal(HttpStatusCode.OK, r.Response.StatusCode);
                Assert.Equal(expected, Encoding.UTF8.GetString(r.Body));
            });
            foreach (var client in clients)
            {
                client.Dispose();
            }

            foreach (var handler in handlers)
            {
                handler.Dispose();
            }
        }
        finally
        {
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task RedisKilledDuringARun_NoClientRequestFails_AndHitsResumeWhenItReturns()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var settings = RedisSettings(redis.EndPoint, NewPrefix());
        settings["ClaudeCache:Storage:Redis:OperationTimeout"] = "00:00:00.100";
        await using var a = await ProxyHost.StartAsync(upstream, settings: settings);
        await using var b = await ProxyHost.StartAsync(upstream, settings: settings);
        var statuses = new List<HttpStatusCode>();

        // A bounded run: 60 requests over a handful of prompts, Redis killed a third of the way through.
        for (var i = 0; i < 60; i++)
        {
            if (i == 20)
            {
                await redis.StopAsync();
            }

            var client = i % 2 == 0 ? a.Client : b.Client;
            var (response, _) = await Requests.SendAsync(client, Requests.Body($"Prompt {i % 6}"));
            statuses.Add(response.StatusCode);
        }

        await redis.RestartAsync();
        var shared = Requests.Body("Asked after Redis came back");
        var resumed = await WaitAsync(async () =>
        {
            await Requests.SendAsync(a.Client, shared);
            await a.SettleAsync();
            b.Cache.Memory.Clear();
            var (response, _) = await Requests.SendAsync(b.Client, shared);
            return response.Header("x-cache") == "HIT";
        }, TimeSpan.FromSeconds(20));

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.True(resumed, "hits through Redis did not resume after it restarted");
    }

    [Fact]
    public async Task LedgerTotalsWrittenByTwoInstances_AddUpInAdminStats()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var settings = RedisSettings(redis.EndPoint, NewPrefix());
        await using var a = await ProxyHost.StartAsync(upstream, settings: settings);
        await using var b = await ProxyHost.StartAsync(upstream, settings: settings);

        foreach (var prompt in new[] { "Explain escrow", "Explain a cap rate", "Explain escrow" })
        {
            await Requests.SendAsync(a.Client, Requests.Body(prompt));
            await a.SettleAsync();
        }

        foreach (var prompt in new[] { "Explain escrow", "Explain a cap rate", "Explain points" })
        {
            await Requests.SendAsync(b.Client, Requests.Body(prompt));
            await b.SettleAsync();
        }

        // Each instance adds its counts to Redis when it flushes (on its timer, or before answering a query; the fake
        // clock stops the timers here): ask B once so its counts are in, then read the fleet's totals from both.
        await CostAccountingTests.StatsAsync(b);
        var fromA = await CostAccountingTests.StatsAsync(a, 6);
        var fromB = await CostAccountingTests.StatsAsync(b, 6);

        Assert.Equal(6, fromA.GetProperty("requests").GetInt64());
        Assert.Equal(3, fromA.GetProperty("hits").GetInt64());
        Assert.Equal(3, fromA.GetProperty("misses").GetInt64());
        Assert.Equal(fromA.GetProperty("costUsd").GetDecimal(), fromB.GetProperty("costUsd").GetDecimal());
        Assert.Equal(fromA.GetProperty("savingsUsd").GetDecimal(), fromB.GetProperty("savingsUsd").GetDecimal());
        Assert.True(fromA.GetProperty("savingsUsd").GetDecimal() > 0);
    }

    [Fact]
    public async Task Cluster_TheSameWorkloadWorks_WithKeysSpreadOverThePrimaries()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var settings = RedisSettings(cluster.Configuration, NewPrefix());
        await using var a = await ProxyHost.StartAsync(upstream, settings: settings);
        await using var b = await ProxyHost.StartAsync(upstream, settings: settings);
        const int prompts = 30;

        for (var i = 0; i < prompts; i++)
        {
            await Requests.SendAsync(a.Client, Requests.Body($"Analyse listing {i}"));
        }

        await a.SettleAsync();
        var hits = 0;
        for (var i = 0; i < prompts; i++)
        {
            var (response, _) = await Requests.SendAsync(b.Client, Requests.Body($"Analyse listing {i}"));
            hits += response.Header("x-cache") == "HIT" ? 1 : 0;
        }

        var perNode = new List<long>();
        foreach (var node in cluster.Nodes)
        {
            var size = await RedisProbe.SendAsync(node.Port, ["DBSIZE"], TimeSpan.FromSeconds(2));
            perNode.Add(long.Parse(size!, CultureInfo.InvariantCulture));
        }

        Assert.Equal(prompts, hits);
        Assert.Equal(prompts, upstream.MessagesCalls);
        Assert.All(perNode, count => Assert.True(count > 0, $"keys per primary: {string.Join(", ", perNode)}"));
    }

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout) => await WaitAsync(() => Task.FromResult(condition()), timeout);

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return await condition();
    }
}
