using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ClaudeCache.Caching;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using ClaudeCache.Testing.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// The cross-instance lease must outlive a slow answer: the holder renews it while it receives. These run on the
/// system clock (not the fake one the other proxy tests use), because Redis expires the lease in real time.
/// </summary>
public sealed class LeaseRenewalTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan AnswerTakes = TimeSpan.FromSeconds(10);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnswerSlowerThanTheLease_TwoInstances_MakeOneUpstreamCall(bool stream)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        upstream.Responder = request => DefaultResponder.Reply(request) with { Latency = AnswerTakes };
        var prefix = "t" + Guid.NewGuid().ToString("N")[..8] + ":";
        var a = await StartAsync(upstream, redis.EndPoint, prefix);
        var b = await StartAsync(upstream, redis.EndPoint, prefix);
        try
        {
            using var clientA = Client(a);
            using var clientB = Client(b);
            var body = Requests.Body("Appraise 9 Elm Street slowly", stream);

            var first = Requests.SendAsync(clientA, body);
            using (var started = CancellationTokenSource.CreateLinkedTokenSource(Token))
            {
                started.CancelAfter(TimeSpan.FromSeconds(10));
                while (upstream.MessagesCalls == 0)
                {
                    await Task.Delay(10, started.Token);
                }
            }

            var second = Requests.SendAsync(clientB, body); // finds A's lease taken and waits for A's answer
            var results = await Task.WhenAll(first, second);

            Assert.Equal(1, upstream.MessagesCalls); // before renewal: 2, B called after one 3-s lease
            Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Response.StatusCode));
            if (!stream)
            {
                Assert.Equal(Encoding.UTF8.GetString(results[0].Body), Encoding.UTF8.GetString(results[1].Body));
            }
        }
        finally
        {
            await a.StopAsync(Token);
            await a.DisposeAsync();
            await b.StopAsync(Token);
            await b.DisposeAsync();
        }
    }

    private static async Task<WebApplication> StartAsync(FakeAnthropicUpstream upstream, string redis, string prefix)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["ClaudeCache:Port"] = "0",
            ["ClaudeCache:Upstream"] = upstream.BaseAddress.ToString(),
            ["ClaudeCache:Storage:SqlitePath"] = TempFiles.NewDatabasePath(),
            ["ClaudeCache:Storage:Provider"] = "redis",
            ["ClaudeCache:Storage:Redis:Configuration"] = redis,
            ["ClaudeCache:Storage:Redis:KeyPrefix"] = prefix,
            ["ClaudeCache:Storage:Redis:OperationTimeout"] = "00:00:00.500",
            ["ClaudeCache:AdminToken"] = ProxyHost.AdminToken,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var app = ProxyApp.Create([], overrides); // the system clock
        app.Services.GetRequiredService<FlightRunner>().DistributedLease = Lease;
        await app.StartAsync(Token);
        return app;
    }

    private static HttpClient Client(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-ant-test-key-1");
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }
}
