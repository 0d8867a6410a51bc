using System.Net;
using System.Text.Json;
using ClaudeCache.Proxy.Tests.Infrastructure;

namespace ClaudeCache.Proxy.Tests;

public sealed class CachingTests
{
    [Fact]
    public async Task SecondIdenticalRequest_IsServedFromCache_WithoutCallingUpstream()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Analyse 12 Oak Street, 3 bed, $450,000");

        var (miss, missBody) = await Requests.SendAsync(proxy.Client, body);
        var (hit, hitBody) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal(HttpStatusCode.OK, miss.StatusCode);
        Assert.Equal("MISS", miss.Header("x-cache"));
        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal(missBody, hitBody);
        Assert.Equal(1, proxy.Upstream.MessagesCalls);
        Assert.Equal(miss.Header("x-cache-key"), hit.Header("x-cache-key"));
        Assert.Equal(64, hit.Header("x-cache-key").Length);
        Assert.Equal("application/json", hit.Content.Headers.ContentType?.MediaType);
        Assert.Equal("0", hit.Header("age"));
        Assert.StartsWith("req_", hit.Header("request-id"), StringComparison.Ordinal);
        Assert.NotEqual(miss.Header("request-id"), hit.Header("request-id"));
    }

    [Fact]
    public async Task Hit_ReportsAgeFromTheClock()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("What is a cap rate?");
        await Requests.SendAsync(proxy.Client, body);
        await proxy.SettleAsync(); // stored: the next request is a hit on the entry, not a join of the call in flight

        proxy.Clock.Advance(TimeSpan.FromSeconds(90));
        var (hit, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal("90", hit.Header("age"));
    }

    [Fact]
    public async Task DifferentPrompt_IsAMiss()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await Requests.SendAsync(proxy.Client, Requests.Body("Analyse 12 Oak Street"));
        var (second, _) = await Requests.SendAsync(proxy.Client, Requests.Body("Analyse 14 Oak Street"));

        Assert.Equal("MISS", second.Header("x-cache"));
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task TelemetryHeadersAndMetadata_DoNotChangeTheKey()
    {
        await using var proxy = await ProxyHost.StartAsync();
        const string first = """{"model":"claude-sonnet-4-5","max_tokens":256,"metadata":{"user_id":"u-1"},"messages":[{"role":"user","content":"Explain escrow"}]}""";
        const string second = """{"messages":[{"role":"user","content":[{"type":"text","text":"Explain escrow"}]}],"metadata":{"user_id":"u-2"},"max_tokens":256,"model":"claude-sonnet-4-5","stream":false}""";

        var (miss, _) = await Requests.SendAsync(proxy.Client, first, ("x-stainless-retry-count", "0"), ("User-Agent", "Anthropic/JS 1.14.0"), ("x-stainless-os", "Linux"));
        var (hit, _) = await Requests.SendAsync(proxy.Client, second, ("x-stainless-retry-count", "2"), ("User-Agent", "AnthropicClient/C# 13.14.0"), ("x-stainless-lang", "dotnet"));

        Assert.Equal("MISS", miss.Header("x-cache"));
        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal(miss.Header("x-cache-key"), hit.Header("x-cache-key"));
    }

    [Theory]
    [InlineData("anthropic-version", "2026-10-21")]
    [InlineData("anthropic-beta", "output-128k-2025-02-19")]
    public async Task ApiVersionAndBetaHeaders_ChangeTheKey(string header, string value)
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var client = new HttpClient { BaseAddress = proxy.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-ant-test-key-1");
        if (header != "anthropic-version")
        {
            client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        }

        var body = Requests.Body("Explain escrow");
        await Requests.SendAsync(proxy.Client, body);
        var (other, _) = await Requests.SendAsync(client, body, (header, value));

        Assert.Equal("MISS", other.Header("x-cache"));
    }

    [Fact]
    public async Task TwoApiKeys_NeverShareAnEntry_ByDefault()
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var other = proxy.CreateClient("sk-ant-another-tenant");
        var body = Requests.Body("Qualify this lead: budget $600k, pre-approved");

        await Requests.SendAsync(proxy.Client, body);
        var (second, _) = await Requests.SendAsync(other, body);

        Assert.Equal("MISS", second.Header("x-cache"));
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task SharedPartition_LetsTwoKeysShareEntries_WhenConfigured()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?> { ["ClaudeCache:Tenant:Mode"] = "Shared" });
        using var other = proxy.CreateClient("sk-ant-another-key-same-org");
        var body = Requests.Body("Qualify this lead: budget $600k, pre-approved");

        await Requests.SendAsync(proxy.Client, body);
        var (second, _) = await Requests.SendAsync(other, body);

        Assert.Equal("HIT", second.Header("x-cache"));
    }

    [Fact]
    public async Task BearerAuthorization_IsForwardedAndPartitions()
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var bearer = new HttpClient { BaseAddress = proxy.BaseAddress };
        bearer.DefaultRequestHeaders.Add("Authorization", "Bearer sk-ant-oauth-token");
        bearer.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        var body = Requests.Body("Explain escrow");

        var (first, _) = await Requests.SendAsync(bearer, body);
        var (second, _) = await Requests.SendAsync(bearer, body);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("HIT", second.Header("x-cache"));
        var received = Assert.Single(proxy.Upstream.Received);
        Assert.Equal("Bearer sk-ant-oauth-token", received.Headers["authorization"]);
    }

    [Fact]
    public async Task ProxyHeaders_AreStripped_AndSdkHeadersForwarded()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await Requests.SendAsync(proxy.Client, Requests.Body("Explain escrow"),
            ("x-cache-strategy", "aggressive"), ("x-cache-namespace", "team-a"), ("Cache-Control", "max-age=3600"),
            ("anthropic-beta", "prompt-caching-2024-07-31"), ("x-stainless-retry-count", "0"));

        var received = Assert.Single(proxy.Upstream.Received);
        Assert.False(received.Headers.ContainsKey("x-cache-strategy"));
        Assert.False(received.Headers.ContainsKey("x-cache-namespace"));
        Assert.False(received.Headers.ContainsKey("cache-control"));
        Assert.Equal("prompt-caching-2024-07-31", received.Headers["anthropic-beta"]);
        Assert.Equal("2023-06-01", received.Headers["anthropic-version"]);
        Assert.Equal("sk-ant-test-key-1", received.Headers["x-api-key"]);
        Assert.Equal("/v1/messages", received.Path);
    }

    [Fact]
    public async Task BetaQueryString_IsRoutedAndKeptWhenForwarding()
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var request = Requests.Post(Requests.Body("Explain escrow"), "v1/messages?beta=true");
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("?beta=true", Assert.Single(proxy.Upstream.Received).QueryString);
    }

    [Fact]
    public async Task NoCacheDirective_RefreshesTheEntry()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Market summary for Austin");
        await Requests.SendAsync(proxy.Client, body);

        var (refresh, _) = await Requests.SendAsync(proxy.Client, body, ("Cache-Control", "no-cache"));
        var (hit, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal("REFRESH", refresh.Header("x-cache"));
        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task NoStoreDirective_BypassesTheCache()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("One-off question");

        var (first, _) = await Requests.SendAsync(proxy.Client, body, ("Cache-Control", "no-store"));
        var (second, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal("BYPASS", first.Header("x-cache"));
        Assert.Equal("MISS", second.Header("x-cache"));
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task Namespace_SeparatesEntries()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Explain escrow");
        await Requests.SendAsync(proxy.Client, body, ("x-cache-namespace", "team-a"));

        var (other, _) = await Requests.SendAsync(proxy.Client, body, ("x-cache-namespace", "team-b"));
        var (same, _) = await Requests.SendAsync(proxy.Client, body, ("x-cache-namespace", "team-a"));

        Assert.Equal("MISS", other.Header("x-cache"));
        Assert.Equal("HIT", same.Header("x-cache"));
    }

    [Theory]
    [InlineData("aggressive", null, "Analyse this", "aggressive", "header")]
    [InlineData(null, "market_analysis", "Analyse this", "conservative", "context:market_analysis")]
    [InlineData(null, "coaching", "Analyse this", "real-time", "context:coaching")]
    [InlineData(null, null, "Explain what a cap rate is", "aggressive", "rule:")]
    [InlineData(null, null, "What are current prices today in Austin?", "conservative", "rule:")]
    [InlineData(null, null, "Analyse 12 Oak Street", "standard", "default")]
    public async Task StrategyAndReason_AreReportedInHeaders(string? strategy, string? contextType, string prompt, string expected, string reasonPrefix)
    {
        await using var proxy = await ProxyHost.StartAsync();
        var headers = new List<(string, string)>();
        if (strategy is not null)
        {
            headers.Add(("x-cache-strategy", strategy));
        }

        if (contextType is not null)
        {
            headers.Add(("x-cache-context", contextType));
        }

        var (response, _) = await Requests.SendAsync(proxy.Client, Requests.Body(prompt), [.. headers]);

        Assert.Equal(expected, response.Header("x-cache-strategy"));
        Assert.StartsWith(reasonPrefix, response.Header("x-cache-strategy-reason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoCacheStrategy_IsNeverStored()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("One-off");
        await Requests.SendAsync(proxy.Client, body, ("x-cache-strategy", "no-cache"));
        var (second, _) = await Requests.SendAsync(proxy.Client, body, ("x-cache-strategy", "no-cache"));

        Assert.Equal("BYPASS", second.Header("x-cache"));
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task CountTokens_IsCached()
    {
        await using var proxy = await ProxyHost.StartAsync();
        const string body = """{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"How many tokens is this?"}]}""";

        using var first = await proxy.Client.SendAsync(Requests.Post(body, "v1/messages/count_tokens"));
        using var second = await proxy.Client.SendAsync(Requests.Post(body, "v1/messages/count_tokens"));

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("HIT", second.Header("x-cache"));
        Assert.Equal(1, proxy.Upstream.CountTokensCalls);
        using var json = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.True(json.RootElement.GetProperty("input_tokens").GetInt32() > 0);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Models_PassThroughUntouched()
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var response = await proxy.Client.GetAsync("v1/models?limit=5");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(json.RootElement.GetProperty("data").GetArrayLength() > 0);
        var received = Assert.Single(proxy.Upstream.Received);
        Assert.Equal("/v1/models", received.Path);
        Assert.Equal("?limit=5", received.QueryString);
        Assert.False(response.Headers.Contains("x-cache"));
    }

    [Fact]
    public async Task Healthz_AnswersOk()
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var response = await proxy.Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
