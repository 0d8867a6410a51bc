using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;

namespace ClaudeCache.Proxy.Tests;

public sealed partial class MetricsTests
{
    [Fact]
    public async Task Metrics_CountStaleAnswersByReason_AndMissesByReason()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Analyse 12 Oak Street");
        (string, string) standard = ("x-cache-strategy", "standard");
        await Requests.SendAsync(proxy.Client, body, standard);
        await Requests.SendAsync(proxy.Client, body, standard, ("Cache-Control", "no-store"));
        await proxy.SettleAsync();
        proxy.Clock.Advance(TimeSpan.FromHours(7));
        proxy.Upstream.Responder = _ => FakeReply.Overloaded();
        await Requests.SendAsync(proxy.Client, body, standard);

        using var response = await proxy.Client.GetAsync("metrics", TestContext.Current.CancellationToken);
        var samples = Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(1, Sum(samples, "claudecache_requests_stale_total", "reason", "upstream 529"));
        Assert.Equal(1, Sum(samples, "claudecache_requests_stale_total"));
        Assert.Equal(1, Sum(samples, "claudecache_requests_miss_reason_total", "reason", "new"));
        Assert.Equal(1, Sum(samples, "claudecache_requests_miss_reason_total", "reason", "bypass"));
        Assert.Equal(0, Sum(samples, "claudecache_requests_miss_reason_total", "reason", "invalidated"));
        Assert.Equal(2, Sum(samples, "claudecache_requests_miss_reason_total"));
    }
}
