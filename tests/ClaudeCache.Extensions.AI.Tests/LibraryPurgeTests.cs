using System.Net;
using System.Text;
using ClaudeCache.Caching;
using ClaudeCache.Extensions.AI.Chat;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using Microsoft.Extensions.AI;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>Tags through the library's three front ends, and <see cref="ResponseCache.PurgeAsync"/> (docs/invalidation.md).</summary>
public sealed class LibraryPurgeTests
{
    private const string Body = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Tagged"}]}""";

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string? tags)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", "sk-ant-library");
        request.Headers.Add("anthropic-version", "2023-06-01");
        if (tags is not null)
        {
            request.Headers.Add("x-cache-tags", tags);
        }

        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static string Status(HttpResponseMessage response) => string.Join(",", response.Headers.GetValues("x-cache"));

    [Fact]
    public async Task Handler_TagsFromTheHeader_ArePurgedFromMemoryAndSqlite_AndNeverSentUpstream()
    {
        await using var test = await TestEngine.StartAsync(sqlitePath: TempFiles.NewDatabasePath());
        using var http = new HttpClient(new ClaudeCacheHandler(test.Engine, new SocketsHttpHandler(), test.Clock)) { BaseAddress = test.Upstream.BaseAddress };
        var ct = TestContext.Current.CancellationToken;
        using (var miss = await SendAsync(http, "listing-42,batch-7"))
        {
            Assert.Equal("MISS", Status(miss));
        }

        // The flight stores its answer after the caller has it: in memory at once, then queued for SQLite.
        await WaitUntilAsync(() => test.Cache.Memory.Count == 1);
        await test.Cache.FlushAsync(ct);

        var dry = await test.Cache.PurgeAsync(new PurgeFilter { Tag = "batch-7" }, dryRun: true, ct);
        var purged = await test.Cache.PurgeAsync(new PurgeFilter { Tag = "listing-42" }, dryRun: false, ct);
        using var after = await SendAsync(http, null);

        Assert.Equal(new PurgeResult(1, 0, true), dry);
        Assert.Equal(new PurgeResult(1, 1, false), purged);
        Assert.Equal("MISS", Status(after));
        Assert.All(test.Upstream.Received, r => Assert.Null(r.Header("x-cache-tags")));
    }

    [Fact]
    public async Task Handler_AnInvalidTagHeader_Is400_AndNotForwarded()
    {
        await using var test = await TestEngine.StartAsync();
        using var http = new HttpClient(new ClaudeCacheHandler(test.Engine, new SocketsHttpHandler(), test.Clock)) { BaseAddress = test.Upstream.BaseAddress };

        using var response = await SendAsync(http, "a,b,c,d,e,f,g,h,i");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("x-cache-tags", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(0, test.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task GetOrCall_TagsInRequestHeaders_ArePurgedByTag_OnTheMemoryProvider()
    {
        await using var test = await TestEngine.StartAsync();
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;
        var body = Encoding.UTF8.GetBytes(Body);
        var headers = new RequestHeaders("sk-ant-direct", null, "2023-06-01", null, null, "property_analysis", null, null) { Tags = "listing-42" };
        UpstreamSend send = token =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(test.Upstream.BaseAddress, "v1/messages")) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.Add("x-api-key", "sk-ant-direct");
            request.Headers.Add("anthropic-version", "2023-06-01");
            return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
        };

        Assert.Equal("MISS", (await test.Engine.GetOrCallAsync(body, headers, send, ct)).Status);
        Assert.Equal(0, (await test.Cache.PurgeAsync(new PurgeFilter { Tag = "listing-42", Context = "explanation" }, dryRun: false, ct)).Removed);
        Assert.Equal(1, (await test.Cache.PurgeAsync(new PurgeFilter { Tag = "listing-42", Context = "property_analysis" }, dryRun: false, ct)).Removed);
        Assert.Equal("MISS", (await test.Engine.GetOrCallAsync(body, headers with { Tags = null }, send, ct)).Status);
        Assert.Equal(2, test.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task ChatMiddleware_TheTagsOption_IsRecordedWithEveryEntry_AndPurgedByIt()
    {
        var engine = ClaudeCacheEngineFactory.Create(new ClaudeCacheOptions { Storage = { Provider = "memory" } });
        await using var cache = engine.Cache;
        var calls = 0;
        using var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) =>
            {
                calls++;
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Hello")) { ModelId = "claude-sonnet-4-5" });
            },
        };
        using var tagged = new ChatClientBuilder(inner).UseClaudeCache(engine, o => o.Tags = ["faq", "v3"]).Build();
        using var other = new ChatClientBuilder(inner).UseClaudeCache(engine, o => o.Partition = "other").Build();
        var ct = TestContext.Current.CancellationToken;
        await tagged.GetResponseAsync("What is a cap rate?", cancellationToken: ct);
        await other.GetResponseAsync("What is a cap rate?", cancellationToken: ct);

        // Each answer is stored just after its caller has it: wait until both entries are in (each seen by its filter).
        var otherTenant = await StoredAsync(cache, new PurgeFilter { Tenant = ChatAccounting.TenantTag("other") }, ct);
        await StoredAsync(cache, new PurgeFilter { Tag = "v3" }, ct);
        var removed = await cache.PurgeAsync(new PurgeFilter { Tag = "v3" }, dryRun: false, ct);
        await tagged.GetResponseAsync("What is a cap rate?", cancellationToken: ct);
        await other.GetResponseAsync("What is a cap rate?", cancellationToken: ct);

        Assert.Equal(1, removed.Removed);
        Assert.Equal(1, otherTenant.Matched);
        Assert.Equal(3, calls);
    }

    // A dry run of the filter, repeated until it matches something (or 10 s pass: then the assertions fail).
    private static async Task<PurgeResult> StoredAsync(ResponseCache cache, PurgeFilter filter, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var result = await cache.PurgeAsync(filter, dryRun: true, ct);
            if (result.Matched > 0 || DateTime.UtcNow > deadline)
            {
                return result;
            }

            await Task.Delay(10, ct);
        }
    }

    [Fact]
    public async Task ChatMiddleware_InvalidTags_AreRefusedAtConstruction()
    {
        using var inner = new TestChatClient();
        var engine = ClaudeCacheEngineFactory.Create(new ClaudeCacheOptions { Storage = { Provider = "memory" } });
        await using var cache = engine.Cache;

        var error = Assert.Throws<ArgumentException>(() => new ClaudeCachingChatClient(inner, engine, new ClaudeCacheChatOptions { Tags = ["no spaces"] }));

        Assert.Contains("is not a tag", error.Message, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, bound.Token);
        }
    }
}
