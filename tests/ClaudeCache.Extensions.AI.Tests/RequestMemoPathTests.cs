using System.Text;
using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.Pipeline;
using ClaudeCache.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// Step 1's memo can never make a request get another entry than the full path gives it: the same corpus through an
/// engine with the memo and one without, request by request, must prepare identically (key, policy, form, tenant).
/// </summary>
public sealed class RequestMemoPathTests
{
    private const string Base = """{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Explain what a cap rate is"}]}""";

    private static RequestHeaders Headers(string? apiKey = "sk-ant-memo-a") => new(apiKey, null, "2023-06-01", null, null, null, null, null);

    /// <summary>Same bytes with different headers; different bytes with the same canonical key; controls; bad input.</summary>
    public static IEnumerable<(string Name, string Path, RequestEndpoint Endpoint, string Body, RequestHeaders Headers)> Corpus()
    {
        const string Messages = "/v1/messages";
        var h = Headers();
        yield return ("base", Messages, RequestEndpoint.Messages, Base, h);
        yield return ("another api key", Messages, RequestEndpoint.Messages, Base, Headers("sk-ant-memo-b"));
        yield return ("bearer token", Messages, RequestEndpoint.Messages, Base, h with { ApiKey = null, Authorization = "Bearer tok-1" });
        yield return ("no credential", Messages, RequestEndpoint.Messages, Base, Headers(null));
        yield return ("api version", Messages, RequestEndpoint.Messages, Base, h with { AnthropicVersion = "2023-01-01" });
        yield return ("betas a,b", Messages, RequestEndpoint.Messages, Base, h with { AnthropicBeta = "a,b" });
        yield return ("betas b,a", Messages, RequestEndpoint.Messages, Base, h with { AnthropicBeta = "b,a" });
        yield return ("strategy aggressive", Messages, RequestEndpoint.Messages, Base, h with { Strategy = "aggressive" });
        yield return ("strategy no-cache", Messages, RequestEndpoint.Messages, Base, h with { Strategy = "no-cache" });
        yield return ("context", Messages, RequestEndpoint.Messages, Base, h with { Context = "market_analysis" });
        yield return ("Cache-Control no-cache", Messages, RequestEndpoint.Messages, Base, h with { CacheControl = "no-cache" });
        yield return ("Cache-Control no-store", Messages, RequestEndpoint.Messages, Base, h with { CacheControl = "no-store" });
        yield return ("max-age 60", Messages, RequestEndpoint.Messages, Base, h with { CacheControl = "max-age=60" });
        yield return ("max-age 120", Messages, RequestEndpoint.Messages, Base, h with { CacheControl = "max-age=120" });
        yield return ("namespace", Messages, RequestEndpoint.Messages, Base, h with { Namespace = "team-a" });
        yield return ("breakpoints auto", Messages, RequestEndpoint.Messages, Base, h with { PromptBreakpoints = "auto" });
        yield return ("breakpoints invalid", Messages, RequestEndpoint.Messages, Base, h with { PromptBreakpoints = "sometimes" });
        yield return ("strategy invalid", Messages, RequestEndpoint.Messages, Base, h with { Strategy = "forever" });
        yield return ("whitespace", Messages, RequestEndpoint.Messages, Base.Replace(",", " ,\n ", StringComparison.Ordinal), h);
        yield return ("key order", Messages, RequestEndpoint.Messages,
            """{"messages":[{"content":"Explain what a cap rate is","role":"user"}],"max_tokens":256,"model":"claude-sonnet-4-5"}""", h);
        yield return ("block content", Messages, RequestEndpoint.Messages,
            """{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":[{"type":"text","text":"Explain what a cap rate is"}]}]}""", h);
        yield return ("stream", Messages, RequestEndpoint.Messages, Base.Replace("{\"model\"", "{\"stream\":true,\"model\"", StringComparison.Ordinal), h);
        yield return ("content rule: today", Messages, RequestEndpoint.Messages, Base.Replace("Explain what a cap rate is", "Current price of homes today", StringComparison.Ordinal), h);
        yield return ("invalid body", Messages, RequestEndpoint.Messages, """{"model":"claude-sonnet-4-5"}""", h);
        yield return ("not json", Messages, RequestEndpoint.Messages, "{\"model\":", h);
        yield return ("count_tokens", "/v1/messages/count_tokens", RequestEndpoint.CountTokens,
            """{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Explain what a cap rate is"}]}""", h);
    }

    [Fact]
    public async Task MemoPath_PreparesEveryRequestExactlyAsTheFullPath()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        await using var withMemo = Engine(clock, memo: true);
        await using var withoutMemo = Engine(clock, memo: false);
        using var http = new HttpClient();
        var memo = withMemo.GetRequiredService<CacheEngine>().Memo;
        Assert.True(memo.Enabled);
        Assert.False(withoutMemo.GetRequiredService<CacheEngine>().Memo.Enabled);

        var compared = 0;
        var stored = 0;
        for (var round = 0; round < 3; round++)
        {
            foreach (var (name, path, endpoint, body, headers) in Corpus())
            {
                var fast = await HandleAsync(withMemo.GetRequiredService<CacheEngine>(), upstream, http, path, endpoint, body, headers);
                var full = await HandleAsync(withoutMemo.GetRequiredService<CacheEngine>(), upstream, http, path, endpoint, body, headers);
                Assert.True(full.Kind == fast.Kind, $"{name}, round {round}: {fast.Kind} with the memo, {full.Kind} without");
                Assert.True(full.Request == fast.Request, $"{name}, round {round}: prepared differently with the memo");
                Assert.True(full.Status == fast.Status, $"{name}, round {round}: {fast.Status} with the memo, {full.Status} without");
                compared++;
                stored += fast.Kind == CacheOutcomeKind.Stored ? 1 : 0;
            }
        }

        var valid = Corpus().Count(c => c.Name is not ("invalid body" or "not json" or "breakpoints invalid" or "strategy invalid"));
        Assert.Equal(3 * Corpus().Count(), compared);
        // Rounds 2 and 3 of every valid request came from the memo (invalid ones are never memoised).
        Assert.Equal(2 * valid, memo.Hits);
        // The upstream answered and the answers were stored: the comparison covered hits, not only misses.
        Assert.True(stored >= 2 * 10, $"only {stored} stored answers served");
    }

    [Fact]
    public async Task EntryThatExpiresWhileTheMemoHoldsItsRequest_IsAMiss()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        await using var services = Engine(clock, memo: true);
        var engine = services.GetRequiredService<CacheEngine>();
        using var http = new HttpClient();
        var headers = Headers() with { CacheControl = "max-age=60" };

        var first = await HandleAsync(engine, upstream, http, "/v1/messages", RequestEndpoint.Messages, Base, headers);
        var second = await HandleAsync(engine, upstream, http, "/v1/messages", RequestEndpoint.Messages, Base, headers);
        clock.Advance(TimeSpan.FromSeconds(61));
        var third = await HandleAsync(engine, upstream, http, "/v1/messages", RequestEndpoint.Messages, Base, headers);

        Assert.Equal((CacheStatus.Miss, CacheStatus.Hit, CacheStatus.Miss), (first.Status, second.Status, third.Status));
        Assert.Equal(2, engine.Memo.Hits);
        Assert.Equal(2, upstream.MessagesCalls);
    }

    private static ServiceProvider Engine(FakeTimeProvider clock, bool memo)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddClaudeCache(o =>
        {
            o.Storage.Provider = "memory";
            o.Cache.RequestMemoMaxEntries = memo ? 1_000 : 0;
        });
        return services.BuildServiceProvider();
    }

    private sealed record Observed(CacheOutcomeKind Kind, PreparedRequest? Request, CacheStatus Status);

    private static async Task<Observed> HandleAsync(
        CacheEngine engine, FakeAnthropicUpstream upstream, HttpClient http, string path, RequestEndpoint endpoint, string body, RequestHeaders headers)
    {
        var ct = TestContext.Current.CancellationToken;
        var request = new CacheRequest(path, endpoint, Encoding.UTF8.GetBytes(body), headers, upstreamBody => token =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, new Uri(upstream.BaseAddress, path.TrimStart('/'))) { Content = new ReadOnlyMemoryContent(upstreamBody) };
            message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            message.Headers.Add("anthropic-version", "2023-06-01");
            message.Headers.Add("x-api-key", "sk-ant-memo-upstream");
            return http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, token);
        });
        using var outcome = await engine.HandleAsync(request, ct);
        if (outcome.Flight is { } flight)
        {
            // Judged (and stored) before the next request, so both engines see the same sequence of states.
            await flight.Outcome.WaitAsync(ct);
        }

        return new Observed(outcome.Kind, outcome.Request, outcome.Status);
    }
}
