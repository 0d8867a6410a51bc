using System.Net;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;

namespace ClaudeCache.Proxy.Tests;

public sealed class NeverCachedTests
{
    public static TheoryData<int, string> UpstreamErrors => new()
    {
        { 400, "invalid_request_error" },
        { 401, "authentication_error" },
        { 429, "rate_limit_error" },
        { 500, "api_error" },
        { 529, "overloaded_error" },
    };

    [Theory]
    [MemberData(nameof(UpstreamErrors))]
    public async Task UpstreamErrors_PassThroughUnchanged_AndAreNotStored(int status, string type)
    {
        await using var proxy = await ProxyHost.StartAsync();
        proxy.Upstream.Responder = _ => FakeReply.ErrorReply(status, type, "Simulated failure") with
        {
            Error = new FakeError(status, type, "Simulated failure") { RetryAfterSeconds = 7, ShouldRetry = true },
        };
        var body = Requests.Body("Analyse 12 Oak Street");

        var (first, firstBody) = await Requests.SendAsync(proxy.Client, body);
        var (second, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal(status, (int)first.StatusCode);
        Assert.Contains(type, System.Text.Encoding.UTF8.GetString(firstBody), StringComparison.Ordinal);
        Assert.Equal("7", first.Header("retry-after"));
        Assert.Equal("true", first.Header("x-should-retry"));
        Assert.Equal(status, (int)second.StatusCode);
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task MidStreamError_IsPassedOn_AndNotStored()
    {
        await using var proxy = await ProxyHost.StartAsync();
        proxy.Upstream.Responder = _ => FakeReply.TextReply("A long answer that will be cut by an overload.") with { MidStreamErrorAfterEvents = 4 };
        var body = Requests.Body("Analyse 12 Oak Street", stream: true);

        var (_, bytes) = await Requests.SendAsync(proxy.Client, body);
        proxy.Upstream.Responder = _ => FakeReply.TextReply("Now it works.");
        var (second, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Contains("event: error", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.Equal("MISS", second.Header("x-cache"));
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task StreamCutBeforeMessageStop_IsNotStored_AndTheClientSeesTheCut()
    {
        await using var proxy = await ProxyHost.StartAsync();
        proxy.Upstream.Responder = _ => FakeReply.TextReply("A long answer that will be cut.") with { AbruptCloseAfterEvents = 4 };
        var body = Requests.Body("Analyse 12 Oak Street", stream: true);

        await Assert.ThrowsAnyAsync<Exception>(() => Requests.SendAsync(proxy.Client, body));
        proxy.Upstream.Responder = _ => FakeReply.TextReply("Now it works.");
        var (second, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal("MISS", second.Header("x-cache"));
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PauseTurn_IsNotStored(bool stream)
    {
        await using var proxy = await ProxyHost.StartAsync();
        proxy.Upstream.Responder = _ => FakeReply.TextReply("Searching...") with { StopReason = "pause_turn" };
        var body = Requests.Body("Search the web for listings", stream);

        await Requests.SendAsync(proxy.Client, body);
        var (second, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal("MISS", second.Header("x-cache"));
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
    }

    [Theory]
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":100,"container":"container_01","messages":[{"role":"user","content":"Run it"}]}""")]
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":100,"mcp_servers":[{"type":"url","url":"https://mcp.example/sse","name":"crm","authorization_token":"secret-token"}],"messages":[{"role":"user","content":"Look up the lead"}]}""")]
    public async Task ContainerAndMcpRequests_AreBypassed(string body)
    {
        await using var proxy = await ProxyHost.StartAsync();

        var (first, _) = await Requests.SendAsync(proxy.Client, body);
        var (second, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal("BYPASS", first.Header("x-cache"));
        Assert.Equal("BYPASS", second.Header("x-cache"));
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
        Assert.Equal(0, proxy.Cache.Memory.Count);
    }

    [Fact]
    public async Task UnreachableUpstream_Is502_WithRetryHint()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var deadPort = upstream.BaseAddress.Port;
        await upstream.DisposeAsync();
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?> { ["ClaudeCache:Upstream"] = $"http://127.0.0.1:{deadPort}/" });

        var (response, body) = await Requests.SendAsync(proxy.Client, Requests.Body("Anyone there?"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("true", response.Header("x-should-retry"));
        Assert.Contains("\"type\":\"error\"", System.Text.Encoding.UTF8.GetString(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowUpstream_Is504_WithRetryHint()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?> { ["ClaudeCache:UpstreamTimeout"] = "00:00:00.300" });
        proxy.Upstream.Responder = _ => FakeReply.TextReply("late") with { Latency = TimeSpan.FromSeconds(5) };

        // The timeout runs on the proxy's clock (a test clock here): once the upstream has the request, move it on.
        var call = Requests.SendAsync(proxy.Client, Requests.Body("Hurry"));
        using (var received = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            received.CancelAfter(TimeSpan.FromSeconds(10));
            while (proxy.Upstream.MessagesCalls == 0)
            {
                await Task.Delay(10, received.Token);
            }
        }

        proxy.Clock.Advance(TimeSpan.FromMilliseconds(301));
        var (response, body) = await call;

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("true", response.Header("x-should-retry"));
        Assert.Contains("timeout_error", System.Text.Encoding.UTF8.GetString(body), StringComparison.Ordinal);
    }
}
