using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ClaudeCache.Caching;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Storage.Redis;
using ClaudeCache.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>
/// The proxy (<c>claudecache serve --redis "sentinel:26379,…,serviceName=…"</c>) on Redis through Sentinel: two
/// instances, one upstream call.
/// </summary>
[Collection(nameof(SentinelTestsRunAlone))]
public sealed class RedisSentinelProxyTests(RedisSentinelFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MissOnOneProxy_IsAHitOnAnother_ThroughSentinel()
    {
        var group = fixture.Group;
        var prefix = TestRedis.Options(group.Configuration).KeyPrefix;
        await using var upstream = await FakeAnthropicUpstream.StartAsync(Token);
        await using var a = await StartProxyAsync(upstream, group.Configuration, prefix);
        await using var b = await StartProxyAsync(upstream, group.Configuration, prefix);
        const string body = """{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":"Comparables for 12 Oak Street"}]}""";

        var (miss, missBody) = await SendAsync(a, body);
        await a.Services.GetRequiredService<FlightRunner>().DrainAsync(TimeSpan.FromSeconds(10));
        await a.Services.GetRequiredService<ResponseCache>().FlushAsync(Token);
        var (hit, hitBody) = await SendAsync(b, body);

        Assert.Equal(HttpStatusCode.OK, miss.StatusCode);
        Assert.Equal("MISS", Header(miss, "x-cache"));
        Assert.Equal("HIT", Header(hit, "x-cache"));
        Assert.Equal(missBody, hitBody);
        Assert.Equal(1, upstream.MessagesCalls);
        await using var direct = await ConnectionMultiplexer.ConnectAsync(group.Primary.EndPoint);
        Assert.True(await direct.GetDatabase().KeyExistsAsync(RedisKeys.Entry(prefix, Header(hit, "x-cache-key"))));
    }

    private static async Task<WebApplication> StartProxyAsync(FakeAnthropicUpstream upstream, string configuration, string prefix)
    {
        var app = ProxyApp.Create([], new Dictionary<string, string?>
        {
            ["ClaudeCache:Port"] = "0",
            ["ClaudeCache:Upstream"] = upstream.BaseAddress.ToString(),
            ["ClaudeCache:Storage:Provider"] = "redis",
            ["ClaudeCache:Storage:Redis:Configuration"] = configuration,
            ["ClaudeCache:Storage:Redis:KeyPrefix"] = prefix,
            // Loopback on a busy machine: more than the production default of 50 ms.
            ["ClaudeCache:Storage:Redis:OperationTimeout"] = "00:00:02",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await app.StartAsync(Token);

        // The proxy connects in the background at start-up; wait for it, so the first request is not a miss for that.
        var tier = Assert.IsType<RedisSecondTier>(app.Services.GetRequiredService<ResponseCache>().SecondTier);
        await tier.Connection.ConnectAsync(Token);
        return app;
    }

    private static async Task<(HttpResponseMessage Response, byte[] Body)> SendAsync(WebApplication proxy, string body)
    {
        using var client = new HttpClient { BaseAddress = new Uri(proxy.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-ant-test-key-1");
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        using var content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        var response = await client.PostAsync(new Uri("/v1/messages", UriKind.Relative), content, Token);
        return (response, await response.Content.ReadAsByteArrayAsync(Token));
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : string.Empty;
}
