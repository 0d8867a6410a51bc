using System.Net;
using System.Text;
using ClaudeCache.Costs;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using ClaudeCache.Storage.Redis;
using ClaudeCache.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// Two application instances — two dependency-injection containers with <c>AddClaudeCache(...).AddRedisStore()</c> —
/// on one real Redis share one cache, as proxy instances do: entries, invalidations, one upstream call per unique
/// request, and the savings ledger.
/// </summary>
public sealed class RedisAppInstancesTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private const string ApiKey = "sk-ant-redis-fleet";

    private const string Body = """{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Qualify the lead: pre-approved, $750k, 30 days"}]}""";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MissThroughInstanceA_IsAHitThroughInstanceB_WithOneUpstreamCall(bool stream)
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var clock = TestEngine.NewClock();
        var settings = redis.Settings(RedisServerFixture.NewPrefix());
        await using var a = AppInstance.Create(upstream, clock, settings);
        await using var b = AppInstance.Create(upstream, clock, settings);
        using var viaA = a.Sdk(ApiKey);
        using var viaB = b.Sdk(ApiKey);
        var parameters = HandlerTests.Params("Analyse 12 Oak Street");

        var miss = await CallAsync(viaA, parameters, stream);
        await a.SettleAsync();
        Assert.Equal(0, b.Cache.Memory.Count);
        var hit = await CallAsync(viaB, parameters, stream);
        var hitInOtherForm = await CallAsync(viaB, parameters, !stream);

        Assert.Equal(1, upstream.MessagesCalls);
        Assert.Equal(miss, hit);
        Assert.NotEmpty(hitInOtherForm);
    }

    [Fact]
    public async Task ConcurrentIdenticalMisses_OnBothInstances_MakeOneUpstreamCall()
    {
        const int PerInstance = 8;
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var clock = TestEngine.NewClock();
        var settings = redis.Settings(RedisServerFixture.NewPrefix());
        await using var a = AppInstance.Create(upstream, clock, settings);
        await using var b = AppInstance.Create(upstream, clock, settings);
        using var httpA = a.Http(ApiKey);
        using var httpB = b.Http(ApiKey);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        upstream.BeforeRespond = (_, ct) => release.Task.WaitAsync(ct);

        var requests = new[] { httpA, httpB }.SelectMany(http => Enumerable.Range(0, PerInstance).Select(_ => SendAsync(http, Body))).ToArray();
        // Every request but one per instance joins its instance's flight; of the two leaders, one holds the shared
        // lease and calls upstream, the other waits for its answer in Redis. Hold that one call until all of it happened.
        // (Whether the other leader is already waiting on the lease or arrives after it: it finds the answer stored.)
        await WaitUntilAsync(() => upstream.MessagesCalls >= 1 && a.Coalesced + b.Coalesced >= 2 * (PerInstance - 1));
        release.SetResult();
        var results = await Task.WhenAll(requests);

        Assert.Equal(1, upstream.MessagesCalls);
        Assert.All(results, r =>
        {
            Assert.Equal(HttpStatusCode.OK, r.Status);
            Assert.Equal(results[0].Body, r.Body);
        });
        Assert.Single(results, r => r.Cache == "MISS");
        Assert.Equal(2 * PerInstance - 1, results.Count(r => r.Cache == "HIT"));
    }

    [Fact]
    public async Task GetOrCall_OnBothInstances_OneUpstreamCall_TheAnswerFromTheOtherInstanceCostsNothing()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var clock = TestEngine.NewClock();
        var settings = redis.Settings(RedisServerFixture.NewPrefix());
        await using var a = AppInstance.Create(upstream, clock, settings);
        await using var b = AppInstance.Create(upstream, clock, settings);
        using var http = new HttpClient();
        var body = Encoding.UTF8.GetBytes(Body);
        var headers = new global::ClaudeCache.RequestHeaders(ApiKey, null, "2023-06-01", null, null, null, null, null);
        global::ClaudeCache.UpstreamSend send = ct =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(upstream.BaseAddress, "v1/messages")) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.Add("x-api-key", ApiKey);
            request.Headers.Add("anthropic-version", "2023-06-01");
            return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        };
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        upstream.BeforeRespond = (_, ct) => release.Task.WaitAsync(ct);
        var ct = TestContext.Current.CancellationToken;

        var calls = new[] { a, b }.Select(instance => instance.Engine.GetOrCallAsync(body, headers, send, ct)).ToArray();
        // One instance's flight holds the lease and is calling; the other's waits for its answer in Redis.
        await WaitUntilAsync(() => upstream.MessagesCalls >= 1
            && a.Services.GetRequiredService<global::ClaudeCache.Caching.FlightRunner>().Running == 1
            && b.Services.GetRequiredService<global::ClaudeCache.Caching.FlightRunner>().Running == 1);
        release.SetResult();
        var results = await Task.WhenAll(calls);

        Assert.Equal(1, upstream.MessagesCalls);
        var miss = Assert.Single(results, r => r.Status == "MISS");
        var fromOther = Assert.Single(results, r => r.Status == "HIT");
        Assert.False(miss.FromCache);
        Assert.True(miss.Cost > 0);
        Assert.True(fromOther.FromCache);
        Assert.False(fromOther.Coalesced);
        Assert.Equal(0m, fromOther.Cost);
        Assert.Equal(miss.Cost, fromOther.Saving);
        Assert.Equal(miss.Body.ToArray(), fromOther.Body.ToArray());
    }

    [Fact]
    public async Task RefreshOnInstanceA_EvictsTheOldAnswerFromInstanceBsMemoryTier()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var clock = TestEngine.NewClock();
        var prefix = RedisServerFixture.NewPrefix();
        await using var a = AppInstance.Create(upstream, clock, redis.Settings(prefix));
        await using var b = AppInstance.Create(upstream, clock, redis.Settings(prefix));
        using var httpA = a.Http(ApiKey);
        using var httpB = b.Http(ApiKey);
        upstream.Responder = request => DefaultResponder.Reply(request) with { MessageId = "msg_first" };
        await SendAsync(httpA, Body);
        await a.SettleAsync();
        var first = await SendAsync(httpB, Body);
        Assert.Equal("HIT", first.Cache);
        Assert.NotNull(b.Cache.Memory.Get(first.Key, clock.GetUtcNow()));
        // Both backplanes subscribe in the background when their instance starts.
        await WaitUntilAsync(async () => await redis.SubscribersAsync(prefix) == 2);

        upstream.Responder = request => DefaultResponder.Reply(request) with { MessageId = "msg_second" };
        var refresh = await SendAsync(httpA, Body, cacheControl: "no-cache");
        await WaitUntilAsync(() => b.Cache.Memory.Get(first.Key, clock.GetUtcNow()) is null);
        var after = await SendAsync(httpB, Body);

        Assert.Equal("REFRESH", refresh.Cache);
        Assert.Equal("HIT", after.Cache);
        Assert.Contains("msg_second", after.Body, StringComparison.Ordinal);
        Assert.Equal(2, upstream.MessagesCalls);
    }

    [Fact]
    public async Task Ledgers_AddUpInRedis_AndDisposingAnInstance_FlushesItAndClosesItsConnections()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var clock = TestEngine.NewClock();
        var prefix = RedisServerFixture.NewPrefix();
        var nameOfB = "b-" + prefix.TrimEnd(':');
        await using var a = AppInstance.Create(upstream, clock, redis.Settings(prefix));
        var b = AppInstance.Create(upstream, clock, redis.Settings(prefix, clientName: nameOfB));
        await using (b)
        {
            using var viaA = a.Sdk(ApiKey);
            using var viaB = b.Sdk(ApiKey);
            var parameters = HandlerTests.Params("Price 12 Oak Street");
            await viaA.Messages.Create(parameters, TestContext.Current.CancellationToken);
            await a.SettleAsync();
            await viaB.Messages.Create(parameters, TestContext.Current.CancellationToken);
            Assert.NotEmpty(await redis.ClientsAsync(nameOfB));
        }

        // B's counts reached Redis when it was disposed; A's are added before its query.
        var now = clock.GetUtcNow();
        var (rows, latency) = await a.Ledger.QueryAsync(now - TimeSpan.FromHours(1), now + TimeSpan.FromHours(1), TestContext.Current.CancellationToken);
        var report = SavingsAnalytics.Build(rows, latency, now - TimeSpan.FromHours(1), now + TimeSpan.FromHours(1), null, 0m);
        Assert.Equal(2, report.Totals.Requests);
        Assert.Equal(1, report.Totals.Hits);
        Assert.Equal(1, report.Totals.Misses);
        Assert.True(report.Totals.CostUsd > 0);
        Assert.Equal(report.Totals.CostUsd, report.Totals.SavingsUsd);
        await WaitUntilAsync(async () => (await redis.ClientsAsync(nameOfB)).Count == 0);
    }

    [Fact]
    public async Task WithoutDependencyInjection_EnginesOverRedisCacheStores_ShareOneCache()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var clock = TestEngine.NewClock();
        var prefix = RedisServerFixture.NewPrefix();
        var options = new ClaudeCacheOptions { Storage = { Provider = "redis" } };
        var error = Assert.Throws<ArgumentException>(() => ClaudeCacheEngineFactory.Create(options, clock));
        Assert.Contains("RedisCacheStores", error.Message, StringComparison.Ordinal);
        RedisStoreOptions Redis() => new() { Configuration = redis.Server.EndPoint, KeyPrefix = prefix, OperationTimeout = TimeSpan.FromMilliseconds(500) };

        var engineA = ClaudeCacheEngineFactory.Create(options, new RedisCacheStores(Redis(), clock), clock);
        var engineB = ClaudeCacheEngineFactory.Create(options, new RedisCacheStores(Redis(), clock), clock);
        await using var cacheA = engineA.Cache;
        await using var cacheB = engineB.Cache;
        using var viaA = Sdk(engineA);
        using var viaB = Sdk(engineB);
        var parameters = HandlerTests.Params("Explain a cap rate");

        // No settling needed: A writes the answer to Redis before it releases the lease, so B either finds it, waits
        // for it on the lease, or finds it under the lease.
        var miss = await CallAsync(viaA, parameters, stream: false);
        var hit = await CallAsync(viaB, parameters, stream: false);

        Assert.Equal(1, upstream.MessagesCalls);
        Assert.Equal(miss, hit);
        Assert.NotNull(engineB.Cache.Backplane);

        global::Anthropic.AnthropicClient Sdk(global::ClaudeCache.CacheEngine engine) => new()
        {
            ApiKey = ApiKey,
            BaseUrl = upstream.BaseAddress.ToString(),
            MaxRetries = 0,
            HttpClient = new HttpClient(new ClaudeCacheHandler(engine, new SocketsHttpHandler(), clock)),
        };
    }

    /// <summary>One call through the SDK; what it answered, as text (the events of a stream, the id and text of a message).</summary>
    internal static async Task<string> CallAsync(global::Anthropic.AnthropicClient client, global::Anthropic.Models.Messages.MessageCreateParams parameters, bool stream)
    {
        if (stream)
        {
            var events = await HandlerTests.CollectAsync(client, parameters);
            Assert.Contains("message_stop", events, StringComparison.Ordinal);
            return events;
        }

        var message = await client.Messages.Create(parameters, TestContext.Current.CancellationToken);
        Assert.True(message.Content[0].TryPickText(out var text));
        return message.ID + "\n" + text!.Text;
    }

    private static async Task<(HttpStatusCode Status, string? Cache, string Key, string Body)> SendAsync(HttpClient http, string body, string? cacheControl = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (cacheControl is not null)
        {
            request.Headers.TryAddWithoutValidation("Cache-Control", cacheControl);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, Header(response, "x-cache"), Header(response, "x-cache-key") ?? string.Empty, text);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
