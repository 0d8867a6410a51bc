using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ClaudeCache.Caching;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using ClaudeCache.Testing;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// Serve stale and miss reasons in-process (docs/serve-stale.md): through <see cref="ClaudeCacheHandler"/> and
/// <see cref="CacheEngine.GetOrCallAsync(ReadOnlyMemory{byte}, RequestHeaders, UpstreamSend, CancellationToken)"/>, on
/// SQLite and in memory, on a fake clock.
/// </summary>
public sealed class LibraryServeStaleTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static readonly RequestHeaders Headers = new("sk-ant-direct", null, "2023-06-01", null, "standard", null, null, null);

    private static Task<TestEngine> StartAsync(bool sqlite) => TestEngine.StartAsync(sqlitePath: sqlite ? TempFiles.NewDatabasePath() : null);

    private static HttpClient Client(TestEngine test) =>
        new(new ClaudeCacheHandler(test.Engine, new SocketsHttpHandler(), test.Clock)) { BaseAddress = test.Upstream.BaseAddress };

    private static async Task<(HttpResponseMessage Response, string Body)> PostAsync(HttpClient client, bool stream)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(
                $$"""{"model":"claude-sonnet-4-5","max_tokens":64,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Analyse 12 Oak Street"}]}""",
                Encoding.UTF8,
                new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("x-api-key", "sk-ant-handler-test");
        request.Headers.Add("anthropic-version", "2023-06-01");
        request.Headers.Add("x-cache-strategy", "standard");
        var response = await client.SendAsync(request, Token);
        return (response, await response.Content.ReadAsStringAsync(Token));
    }

    /// <summary>Waits until the answer is in the memory tier and written to the second tier (the flight stores it after the caller has its bytes).</summary>
    private static async Task StoredAsync(TestEngine test)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (test.Cache.Memory.Count == 0)
        {
            await Task.Delay(5, timeout.Token);
        }

        await test.Cache.FlushAsync(timeout.Token);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public async Task Handler_AnswersAn529WithTheExpiredEntry_InTheCallersForm(bool sqlite, bool stream)
    {
        await using var test = await StartAsync(sqlite);
        using var client = Client(test);
        var (first, _) = await PostAsync(client, stream: false);
        await StoredAsync(test);
        test.Clock.Advance(TimeSpan.FromHours(7)); // standard: 6 hours fresh, 24 hours of grace
        test.Upstream.Responder = _ => FakeReply.Overloaded();

        var (stale, body) = await PostAsync(client, stream);

        Assert.Equal("new", Header(first, "x-cache-miss-reason"));
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal("STALE", Header(stale, "x-cache"));
        Assert.Equal("upstream 529", Header(stale, "x-cache-stale-reason"));
        Assert.Equal("25200", Header(stale, "age"));
        Assert.Contains(stream ? "event: message_stop" : "\"type\":\"message\"", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Handler_RefusesStale_WhenTheCallerSaysStaleIfErrorZero_AndSaysTheMissWasExpired(bool sqlite)
    {
        await using var test = await StartAsync(sqlite);
        using var client = Client(test);
        await PostAsync(client, stream: false);
        await StoredAsync(test);
        test.Clock.Advance(TimeSpan.FromHours(7));
        test.Upstream.Responder = _ => FakeReply.Overloaded();
        client.DefaultRequestHeaders.CacheControl = CacheControlHeaderValue.Parse("stale-if-error=0");

        var (response, _) = await PostAsync(client, stream: false);

        Assert.Equal(529, (int)response.StatusCode);
        Assert.Equal("MISS", Header(response, "x-cache"));
        Assert.Equal("expired", Header(response, "x-cache-miss-reason"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GetOrCall_ReturnsTheExpiredEntry_AsAStaleAnswerFromCache(bool sqlite)
    {
        await using var test = await StartAsync(sqlite);
        using var http = new HttpClient();
        var body = Encoding.UTF8.GetBytes("""{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Direct"}]}""");
        UpstreamSend send = ct =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(test.Upstream.BaseAddress, "v1/messages")) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add("x-api-key", "sk-ant-direct");
            request.Headers.Add("anthropic-version", "2023-06-01");
            return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        };

        var miss = await test.Engine.GetOrCallAsync(body, Headers, send, Token);
        await StoredAsync(test);
        test.Clock.Advance(TimeSpan.FromHours(7));
        test.Upstream.Responder = _ => FakeReply.ErrorReply(503, "api_error", "unavailable");
        var stale = await test.Engine.GetOrCallAsync(body, Headers, send, Token);

        Assert.True(stale.IsSuccess);
        Assert.True(stale.FromCache);
        Assert.Equal("STALE", stale.Status);
        Assert.Equal(Encoding.UTF8.GetString(miss.Body.Span), Encoding.UTF8.GetString(stale.Body.Span));
        Assert.Equal(miss.Cost, stale.Saving); // priced as a hit
        Assert.Equal(1, test.Cache.Metrics.StaleServedByReason["upstream 503"]);
    }

    [Fact]
    public async Task InvalidateAsync_LeavesATombstone_TheNextMissSaysInvalidated()
    {
        await using var test = await StartAsync(sqlite: false);
        using var client = Client(test);
        var (first, _) = await PostAsync(client, stream: false);
        await StoredAsync(test);
        Assert.True(Keys.CacheKey.TryParse(Header(first, "x-cache-key"), out var key));

        await test.Cache.InvalidateAsync(key, MissReason.Invalidated, Token);
        var (after, _) = await PostAsync(client, stream: false);

        Assert.Equal("MISS", Header(after, "x-cache"));
        Assert.Equal("invalidated", Header(after, "x-cache-miss-reason"));
    }

    [Fact]
    public async Task InMemory_AnEntryPastItsGrace_MissesAsExpired()
    {
        await using var test = await StartAsync(sqlite: false);
        using var client = Client(test);
        await PostAsync(client, stream: false);
        await StoredAsync(test);
        test.Clock.Advance(TimeSpan.FromHours(6 + 24 + 1)); // past the standard TTL and grace: gone from memory

        var (after, _) = await PostAsync(client, stream: false);

        Assert.Equal("MISS", Header(after, "x-cache"));
        Assert.Equal("expired", Header(after, "x-cache-miss-reason"));
    }
}
