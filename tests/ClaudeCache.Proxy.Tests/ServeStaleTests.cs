using System.Net;
using System.Text;
using System.Text.Json;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// Serve stale when Anthropic fails (docs/serve-stale.md): an expired entry kept for its strategy's grace answers a
/// 5xx, a 529, a timeout or an unreachable upstream, on the proxy's fake clock; never a 4xx; Cache-Control narrows,
/// widens or refuses it; stale-while-revalidate answers at once and refreshes once.
/// </summary>
public sealed class ServeStaleTests
{
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StandardTtl = TimeSpan.FromHours(6);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static readonly (string, string) Standard = ("x-cache-strategy", "standard");

    [Theory]
    [InlineData(529, "overloaded_error")]
    [InlineData(500, "api_error")]
    [InlineData(502, "api_error")]
    [InlineData(503, "api_error")]
    [InlineData(504, "timeout_error")]
    public async Task ExpiredEntryWithinGrace_AnswersAnUpstreamFailure_AsStale(int status, string type)
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Analyse 12 Oak Street");
        var (stored, storedBytes) = await Requests.SendAsync(proxy.Client, body, Standard);
        await proxy.SettleAsync();
        proxy.Clock.Advance(StandardTtl + TimeSpan.FromHours(3));
        proxy.Upstream.Responder = _ => FakeReply.ErrorReply(status, type, "failing");

        var (stale, staleBytes) = await Requests.SendAsync(proxy.Client, body, Standard);

        Assert.Equal("MISS", stored.Header("x-cache"));
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal("STALE", stale.Header("x-cache"));
        Assert.Equal($"upstream {status}", stale.Header("x-cache-stale-reason"));
        Assert.Equal(((long)(StandardTtl + TimeSpan.FromHours(3)).TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture), stale.Header("age"));
        Assert.Equal(Encoding.UTF8.GetString(storedBytes), Encoding.UTF8.GetString(staleBytes));
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
    }

    [Theory]
    [InlineData(429, "rate_limit_error")]
    [InlineData(400, "invalid_request_error")]
    [InlineData(401, "authentication_error")]
    public async Task A4xxFromUpstream_IsNeverAnsweredStale(int status, string type)
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Analyse 12 Oak Street");
        await Requests.SendAsync(proxy.Client, body, Standard);
        await proxy.SettleAsync();
        proxy.Clock.Advance(StandardTtl + TimeSpan.FromMinutes(1));
        proxy.Upstream.Responder = _ => FakeReply.ErrorReply(status, type, "the request is wrong");

        var (response, _) = await Requests.SendAsync(proxy.Client, body, Standard);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("MISS", response.Header("x-cache"));
        Assert.Equal("expired", response.Header("x-cache-miss-reason"));
        Assert.Equal("", response.Header("x-cache-stale-reason"));
    }

    [Fact]
    public async Task PastTheGrace_TheFailurePassesThrough()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Analyse 12 Oak Street");
        await Requests.SendAsync(proxy.Client, body, Standard);
        await proxy.SettleAsync();
        proxy.Clock.Advance(StandardTtl + TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        proxy.Upstream.Responder = _ => FakeReply.Overloaded();

        var (response, _) = await Requests.SendAsync(proxy.Client, body, Standard);

        Assert.Equal(529, (int)response.StatusCode);
        Assert.Equal("MISS", response.Header("x-cache"));
        Assert.Equal("expired", response.Header("x-cache-miss-reason"));
    }

    [Theory]
    [InlineData("stale-if-error=0", 60, false)]
    [InlineData("stale-if-error=600", 900, false)]
    [InlineData("stale-if-error=600", 300, true)]
    public async Task StaleIfError_NarrowsOrRefusesTheGrace(string cacheControl, int secondsPastTtl, bool servedStale)
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Analyse 12 Oak Street");
        await Requests.SendAsync(proxy.Client, body, Standard);
        await proxy.SettleAsync();
        proxy.Clock.Advance(StandardTtl + TimeSpan.FromSeconds(secondsPastTtl));
        proxy.Upstream.Responder = _ => FakeReply.Overloaded();

        var (response, _) = await Requests.SendAsync(proxy.Client, body, Standard, ("Cache-Control", cacheControl));

        Assert.Equal(servedStale ? 200 : 529, (int)response.StatusCode);
        Assert.Equal(servedStale ? "STALE" : "MISS", response.Header("x-cache"));
    }

    [Fact]
    public async Task StaleIfError_WidensTheGrace_OfTheEntryItStores()
    {
        // Conservative entries are kept 2 hours past their TTL; a caller that asks for a day keeps (and gets) a day.
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("What is the current price of 12 Oak Street?");
        (string, string)[] headers = [("x-cache-strategy", "conservative"), ("Cache-Control", "stale-if-error=86400")];
        await Requests.SendAsync(proxy.Client, body, headers);
        await proxy.SettleAsync();
        proxy.Clock.Advance(TimeSpan.FromMinutes(90) + TimeSpan.FromHours(5));
        proxy.Upstream.Responder = _ => FakeReply.Overloaded();

        var (widened, _) = await Requests.SendAsync(proxy.Client, body, headers);
        var (plain, _) = await Requests.SendAsync(proxy.Client, body, ("x-cache-strategy", "conservative"));

        Assert.Equal("STALE", widened.Header("x-cache"));
        Assert.Equal(529, (int)plain.StatusCode); // without the header, the strategy's 2 hours apply
    }

    [Fact]
    public async Task RealTimeEntries_AreNeverStale_ByDefault()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Coach me in this call");
        await Requests.SendAsync(proxy.Client, body, ("x-cache-strategy", "real-time"));
        await proxy.SettleAsync();
        proxy.Clock.Advance(TimeSpan.FromMinutes(16));
        proxy.Upstream.Responder = _ => FakeReply.Overloaded();

        var (response, _) = await Requests.SendAsync(proxy.Client, body, ("x-cache-strategy", "real-time"));

        Assert.Equal(529, (int)response.StatusCode);
    }

    [Fact]
    public async Task GraceIsConfigurablePerStrategy()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?> { ["ClaudeCache:Strategies:StandardGrace"] = "00:10:00" });
        var body = Requests.Body("Analyse 12 Oak Street");
        await Requests.SendAsync(proxy.Client, body, Standard);
        await proxy.SettleAsync();
        proxy.Upstream.Responder = _ => FakeReply.Overloaded();

        proxy.Clock.Advance(StandardTtl + TimeSpan.FromMinutes(9));
        var (within, _) = await Requests.SendAsync(proxy.Client, body, Standard);
        proxy.Clock.Advance(TimeSpan.FromMinutes(2));
        var (past, _) = await Requests.SendAsync(proxy.Client, body, Standard);

        Assert.Equal("STALE", within.Header("x-cache"));
        Assert.Equal(529, (int)past.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UpstreamTimeout_IsAnsweredStale(bool stream)
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Analyse 12 Oak Street", stream);
        await Requests.SendAsync(proxy.Client, body, Standard);
        await proxy.SettleAsync();
        proxy.Clock.Advance(StandardTtl + TimeSpan.FromHours(1));
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Upstream.BeforeRespond = async (_, aborted) =>
        {
            received.TrySetResult();
            await Task.Delay(Timeout.Infinite, aborted);
        };

        var call = Requests.SendAsync(proxy.Client, body, Standard);
        await received.Task.WaitAsync(NoHang, Token);
        proxy.Clock.Advance(TimeSpan.FromMinutes(11)); // past the first-byte bound of either form (2 and 10 minutes)
        var (response, bytes) = await call.WaitAsync(NoHang, Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("STALE", response.Header("x-cache"));
        Assert.Equal("upstream timeout", response.Header("x-cache-stale-reason"));
        Assert.Contains(stream ? "message_stop" : "\"type\":\"message\"", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableUpstream_IsAnsweredStale()
    {
        var upstream = await FakeAnthropicUpstream.StartAsync(Token);
        await using var proxy = await ProxyHost.StartAsync(upstream);
        var body = Requests.Body("Analyse 12 Oak Street");
        await Requests.SendAsync(proxy.Client, body, Standard);
        await proxy.SettleAsync();
        await upstream.DisposeAsync(); // nobody listens there any more
        proxy.Clock.Advance(StandardTtl + TimeSpan.FromHours(1));

        var (response, _) = await Requests.SendAsync(proxy.Client, body, Standard);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("STALE", response.Header("x-cache"));
        Assert.Equal("upstream unreachable", response.Header("x-cache-stale-reason"));
    }

    [Fact]
    public async Task AStoredJsonAnswer_IsServedStaleToAStreamingCaller_AsSse()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await Requests.SendAsync(proxy.Client, Requests.Body("Analyse 12 Oak Street"), Standard);
        await proxy.SettleAsync();
        proxy.Clock.Advance(StandardTtl + TimeSpan.FromHours(1));
        proxy.Upstream.Responder = _ => FakeReply.Overloaded();

        var (response, bytes) = await Requests.SendAsync(proxy.Client, Requests.Body("Analyse 12 Oak Street", stream: true), Standard);

        Assert.Equal("STALE", response.Header("x-cache"));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.StartsWith("event: message_start", text, StringComparison.Ordinal);
        Assert.Contains("event: message_stop", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StaleAnswers_ArePricedAsHits_AndCountedInStats()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Analyse 12 Oak Street");
        await Requests.SendAsync(proxy.Client, body, Standard);
        await proxy.SettleAsync();
        proxy.Clock.Advance(StandardTtl + TimeSpan.FromHours(1));
        proxy.Upstream.Responder = _ => FakeReply.Overloaded();

        await Requests.SendAsync(proxy.Client, body, Standard);
        await Requests.SendAsync(proxy.Client, body, Standard);
        var totals = await CostAccountingTests.StatsAsync(proxy, 3);
        using var admin = proxy.CreateAdminClient();
        using var stats = JsonDocument.Parse(await admin.GetStringAsync("admin/stats?window=24h", Token));
        var serving = stats.RootElement.GetProperty("serving");

        Assert.Equal(2, totals.GetProperty("hits").GetInt64());
        Assert.Equal(0, totals.GetProperty("errors").GetInt64());
        Assert.True(totals.GetProperty("savingsUsd").GetDecimal() > 0);
        Assert.Equal(2, serving.GetProperty("staleServed").GetInt64());
        Assert.Equal(2, serving.GetProperty("staleByReason").GetProperty("upstream 529").GetInt64());
        Assert.Equal(1, serving.GetProperty("missReasons").GetProperty("new").GetInt64());
    }

    [Theory]
    [InlineData("aggressive", 24)]
    [InlineData("standard", 6)]
    public async Task StaleWhileRevalidate_AnswersAtOnce_AndRefreshesOnceInTheBackground(string strategy, int ttlHours)
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Explain escrow");
        (string, string)[] headers = [("x-cache-strategy", strategy), ("Cache-Control", "stale-while-revalidate=3600")];
        var answers = 0;
        proxy.Upstream.Responder = _ => FakeReply.TextReply("answer " + Interlocked.Increment(ref answers));
        await Requests.SendAsync(proxy.Client, body, headers);
        await proxy.SettleAsync();
        proxy.Clock.Advance(TimeSpan.FromHours(ttlHours) + TimeSpan.FromMinutes(30)); // past the TTL, within the hour asked for
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Upstream.BeforeRespond = (_, _) => gate.Task; // the refresh hangs until released

        var (stale, staleBytes) = await Requests.SendAsync(proxy.Client, body, headers).WaitAsync(NoHang, Token);
        var (again, _) = await Requests.SendAsync(proxy.Client, body, headers).WaitAsync(NoHang, Token);
        gate.SetResult();
        await proxy.SettleAsync();
        var (fresh, freshBytes) = await Requests.SendAsync(proxy.Client, body, headers);

        Assert.Equal("STALE", stale.Header("x-cache"));
        Assert.Equal("revalidating", stale.Header("x-cache-stale-reason"));
        Assert.Contains("answer 1", Encoding.UTF8.GetString(staleBytes), StringComparison.Ordinal);
        Assert.Equal("STALE", again.Header("x-cache"));
        Assert.Equal(2, proxy.Upstream.MessagesCalls); // one refresh for two stale answers
        Assert.Equal("HIT", fresh.Header("x-cache"));
        Assert.Contains("answer 2", Encoding.UTF8.GetString(freshBytes), StringComparison.Ordinal);
        Assert.Equal(1, proxy.Cache.Metrics.StaleRevalidations);
        // Ledger: the first miss, two stale answers and a hit, and the background call as a refresh.
        var totals = await CostAccountingTests.StatsAsync(proxy, 5);
        Assert.Equal(3, totals.GetProperty("hits").GetInt64());
        Assert.Equal(1, totals.GetProperty("refreshes").GetInt64());
    }

    [Fact]
    public async Task StaleWhileRevalidate_DoesNotApplyToConservativeEntries()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Explain escrow");
        (string, string)[] headers = [("x-cache-strategy", "conservative"), ("Cache-Control", "stale-while-revalidate=3600")];
        await Requests.SendAsync(proxy.Client, body, headers);
        await proxy.SettleAsync();
        proxy.Clock.Advance(TimeSpan.FromMinutes(100));

        var (response, _) = await Requests.SendAsync(proxy.Client, body, headers);

        Assert.Equal("MISS", response.Header("x-cache"));
        Assert.Equal("expired", response.Header("x-cache-miss-reason"));
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
    }
}
