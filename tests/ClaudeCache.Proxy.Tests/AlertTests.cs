using System.Collections.Concurrent;
using System.Text.Json;
using ClaudeCache.Proxy.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace ClaudeCache.Proxy.Tests;

public sealed class AlertTests
{
    [Fact]
    public async Task HitRatioAlert_FiresBelowItsThreshold_AndClearsWhenItRecovers_WithTheWebhookCalledEachTime()
    {
        await using var webhook = await WebhookReceiver.StartAsync();
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["ClaudeCache:Alerts:WebhookUrl"] = webhook.Url,
            ["ClaudeCache:Alerts:EvaluationInterval"] = "00:01:00",
            ["ClaudeCache:Alerts:Rules:0:Name"] = "hit-ratio-low",
            ["ClaudeCache:Alerts:Rules:0:Kind"] = "HitRatioBelow",
            ["ClaudeCache:Alerts:Rules:0:Threshold"] = "0.5",
            ["ClaudeCache:Alerts:Rules:0:Window"] = "00:05:00",
            ["ClaudeCache:Alerts:Rules:0:MinRequests"] = "4",
        });

        // Four distinct questions: four misses, hit ratio 0.
        for (var i = 0; i < 4; i++)
        {
            await Requests.SendAsync(proxy.Client, Requests.Body($"Distinct question {i}"));
        }

        await CostAccountingTests.StatsAsync(proxy, 4);
        proxy.Clock.Advance(TimeSpan.FromMinutes(1));
        var fired = await webhook.WaitForAsync(1);
        var alerts = await AlertsAsync(proxy);

        // The window moves on; the same questions again are hits only: ratio 1.
        proxy.Clock.Advance(TimeSpan.FromMinutes(5));
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 4; i++)
            {
                await Requests.SendAsync(proxy.Client, Requests.Body($"Distinct question {i}"), ("x-cache-strategy", "aggressive"));
            }
        }

        // Earlier entries were standard (6 h): still fresh after 6 minutes, so these are hits.
        await CostAccountingTests.StatsAsync(proxy, 12, "window=1h");
        proxy.Clock.Advance(TimeSpan.FromMinutes(1));
        var resolved = await webhook.WaitForAsync(2);

        Assert.Equal("firing", fired[0].GetProperty("status").GetString());
        Assert.Equal("hit-ratio-low", fired[0].GetProperty("rule").GetString());
        Assert.Equal(0, fired[0].GetProperty("value").GetDouble());
        Assert.Equal(0.5, fired[0].GetProperty("threshold").GetDouble());
        var rule = alerts.GetProperty("rules")[0];
        Assert.True(rule.GetProperty("firing").GetBoolean());
        Assert.Equal("resolved", resolved[1].GetProperty("status").GetString());
        Assert.Equal(1, resolved[1].GetProperty("value").GetDouble());
        Assert.False((await AlertsAsync(proxy)).GetProperty("rules")[0].GetProperty("firing").GetBoolean());
    }

    private static async Task<JsonElement> AlertsAsync(ProxyHost proxy)
    {
        using var admin = proxy.CreateAdminClient();
        using var json = JsonDocument.Parse(await admin.GetStringAsync("admin/alerts"));
        return json.RootElement.Clone();
    }

    /// <summary>A real HTTP endpoint on loopback that records the JSON bodies POSTed to it.</summary>
    private sealed class WebhookReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<JsonElement> _received = new();

        private WebhookReceiver(WebApplication app) => _app = app;

        public string Url { get; private set; } = "";

        public static async Task<WebhookReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var receiver = new WebhookReceiver(app);
            app.MapPost("/hook", async (HttpContext context) =>
            {
                using var json = await JsonDocument.ParseAsync(context.Request.Body);
                receiver._received.Enqueue(json.RootElement.Clone());
                return Results.Ok();
            });
            await app.StartAsync();
            receiver.Url = app.Urls.First() + "/hook";
            return receiver;
        }

        public async Task<JsonElement[]> WaitForAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (_received.Count < count)
            {
                await Task.Delay(10, timeout.Token);
            }

            return _received.ToArray();
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
