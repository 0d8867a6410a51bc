using System.Text;
using ClaudeCache.Caching;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>The direct API: <see cref="CacheEngine.GetOrCallAsync(ReadOnlyMemory{byte}, RequestHeaders, UpstreamSend, CancellationToken)"/>.</summary>
public sealed class GetOrCallTests
{
    private static readonly RequestHeaders Headers = new("sk-ant-direct", null, "2023-06-01", null, null, null, null, null);

    private static UpstreamSend Send(TestEngine test, HttpClient http, byte[] body) => ct =>
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(test.Upstream.BaseAddress, "v1/messages")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("x-api-key", "sk-ant-direct");
        request.Headers.Add("anthropic-version", "2023-06-01");
        return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MissThenHit_ReturnsTheMessage_FromCache_AndItsUsage(bool stream)
    {
        await using var test = await TestEngine.StartAsync();
        using var http = new HttpClient();
        var body = Encoding.UTF8.GetBytes($$"""{"model":"claude-sonnet-4-5","max_tokens":64,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Direct"}]}""");
        var ct = TestContext.Current.CancellationToken;

        var miss = await test.Engine.GetOrCallAsync(body, Headers, Send(test, http, body), ct);
        var hit = await test.Engine.GetOrCallAsync(body, Headers, Send(test, http, body), ct);

        Assert.Equal(1, test.Upstream.MessagesCalls);
        Assert.True(miss.IsSuccess);
        Assert.False(miss.FromCache);
        Assert.Equal("MISS", miss.Status);
        Assert.True(hit.FromCache);
        Assert.Equal("HIT", hit.Status);
        Assert.Equal(miss.Key, hit.Key);
        Assert.Equal(Encoding.UTF8.GetString(miss.Body.Span), Encoding.UTF8.GetString(hit.Body.Span));
        Assert.Contains("\"type\":\"message\"", Encoding.UTF8.GetString(hit.Body.Span), StringComparison.Ordinal);
        Assert.True(hit.Usage.InputTokens > 0);
        Assert.True(hit.Usage.OutputTokens > 0);
        // The engine prices with the shipped table by default: a hit costs nothing and saves what the miss cost.
        Assert.True(miss.Cost > 0m);
        Assert.Equal(0m, hit.Cost);
        Assert.Equal(miss.Cost, hit.Saving);
    }

    [Fact]
    public async Task CostEstimator_PricesTheAnswer_AndAHitSavesIt()
    {
        await using var test = await TestEngine.StartAsync();
        var services = new ServiceCollection();
        services.AddClaudeCache(o => o.Storage.Provider = "memory");
        services.AddSingleton<ICostEstimator>(new PerTokenPrice());
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<CacheEngine>();
        using var http = new HttpClient();
        var body = Encoding.UTF8.GetBytes("""{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Priced"}]}""");
        var ct = TestContext.Current.CancellationToken;

        var miss = await engine.GetOrCallAsync(body, Headers, Send(test, http, body), ct);
        var hit = await engine.GetOrCallAsync(body, Headers, Send(test, http, body), ct);

        Assert.NotNull(miss.Cost);
        Assert.Equal(0m, miss.Saving);
        Assert.Equal(miss.Cost, hit.Saving);
    }

    [Fact]
    public async Task InvalidBody_Is400_AndNeverCallsUpstream()
    {
        await using var test = await TestEngine.StartAsync();
        var called = false;

        var result = await test.Engine.GetOrCallAsync("""{"model":"x"}"""u8.ToArray(), Headers, _ => { called = true; throw new InvalidOperationException(); }, TestContext.Current.CancellationToken);

        Assert.Equal(400, result.StatusCode);
        Assert.False(result.IsSuccess);
        Assert.False(called);
        Assert.Contains("invalid_request_error", Encoding.UTF8.GetString(result.Body.Span), StringComparison.Ordinal);
    }

    private sealed class PerTokenPrice : ICostEstimator
    {
        public decimal? EstimateCost(string model, global::ClaudeCache.Anthropic.TokenUsage usage) => (usage.TotalInputTokens * 3m + usage.OutputTokens * 15m) / 1_000_000m;
    }
}
