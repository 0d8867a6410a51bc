using System.Net;
using System.Text;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Proxy.Tests;

public sealed class CoalescingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConcurrentIdenticalMisses_MakeOneUpstreamCall(bool stream)
    {
        const int callers = 200;
        await using var proxy = await ProxyHost.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Upstream.BeforeRespond = (_, ct) => release.Task.WaitAsync(ct);
        var body = Requests.Body("Analyse 7 Elm Road for a first-time buyer", stream);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = callers };
        using var client = new HttpClient(handler) { BaseAddress = proxy.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-ant-test-key-1");
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");

        var requests = Enumerable.Range(0, callers).Select(_ => Requests.SendAsync(client, body)).ToArray();
        // Hold the single upstream call until every other caller has joined it.
        await WaitUntilAsync(() => Coalesced(proxy) >= callers - 1);
        release.SetResult();
        var results = await Task.WhenAll(requests);

        Assert.Equal(1, proxy.Upstream.MessagesCalls);
        var expected = results[0].Body;
        Assert.All(results, r =>
        {
            Assert.Equal(HttpStatusCode.OK, r.Response.StatusCode);
            Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(r.Body));
        });
        // One leader; every follower is a hit on the shared call, fresh (age 0), marked as coalesced.
        Assert.Single(results, r => r.Response.Header("x-cache") == "MISS");
        var followers = results.Where(r => r.Response.Header("x-cache") != "MISS").ToList();
        Assert.Equal(callers - 1, followers.Count);
        Assert.All(followers, r =>
        {
            Assert.Equal("HIT", r.Response.Header("x-cache"));
            Assert.Equal("true", r.Response.Header("x-cache-coalesced"));
            Assert.Equal("0", r.Response.Header("age"));
        });
        var (after, _) = await Requests.SendAsync(client, body);
        Assert.Equal("HIT", after.Header("x-cache"));
    }

    [Fact]
    public async Task FollowersOfAFailedCall_AreMisses_NotHits()
    {
        const int callers = 5;
        await using var proxy = await ProxyHost.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Upstream.BeforeRespond = (_, ct) => release.Task.WaitAsync(ct);
        proxy.Upstream.Responder = _ => FakeReply.ErrorReply(529, "overloaded_error", "Overloaded");
        var body = Requests.Body("Analyse 9 Birch Lane while Anthropic is overloaded");

        var requests = Enumerable.Range(0, callers).Select(_ => Requests.SendAsync(proxy.Client, body)).ToArray();
        await WaitUntilAsync(() => Coalesced(proxy) >= callers - 1);
        release.SetResult();
        var results = await Task.WhenAll(requests);

        Assert.Equal(1, proxy.Upstream.MessagesCalls);
        Assert.All(results, r =>
        {
            Assert.Equal(529, (int)r.Response.StatusCode);
            Assert.Equal("MISS", r.Response.Header("x-cache"));
            // Every caller's request-id is the one in its error body, followers' included.
            using var json = System.Text.Json.JsonDocument.Parse(r.Body);
            Assert.Equal(r.Response.Header("request-id"), json.RootElement.GetProperty("request_id").GetString());
        });
        Assert.Equal(callers - 1, results.Count(r => r.Response.Header("x-cache-coalesced") == "true"));
    }

    [Fact]
    public async Task JsonAndStreamingCallers_ShareOneCall_AndEachGetsItsForm()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Upstream.BeforeRespond = (_, ct) => release.Task.WaitAsync(ct);

        var streaming = Requests.SendAsync(proxy.Client, Requests.Body("Objection: the price is too high", stream: true));
        await WaitUntilAsync(() => proxy.Upstream.MessagesCalls >= 1);
        var json = Requests.SendAsync(proxy.Client, Requests.Body("Objection: the price is too high"));
        await WaitUntilAsync(() => Coalesced(proxy) >= 1);
        release.SetResult();

        var (streamResponse, _) = await streaming;
        var (jsonResponse, jsonBody) = await json;
        Assert.Equal(1, proxy.Upstream.MessagesCalls);
        Assert.Equal("text/event-stream", streamResponse.Content.Headers.ContentType?.MediaType);
        Assert.Equal("application/json", jsonResponse.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"type\":\"message\"", Encoding.UTF8.GetString(jsonBody), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FirstCallerDisconnecting_DoesNotCancelTheCallForTheOthers_AndTheAnswerIsStored()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Upstream.BeforeRespond = (_, ct) => release.Task.WaitAsync(ct);
        var body = Requests.Body("Coach me through this call", stream: true);

        using var leaderCancel = new CancellationTokenSource();
        using var leaderClient = proxy.CreateClient();
        var leader = leaderClient.SendAsync(Requests.Post(body), HttpCompletionOption.ResponseHeadersRead, leaderCancel.Token);
        await WaitUntilAsync(() => proxy.Upstream.MessagesCalls >= 1);
        var follower = Requests.SendAsync(proxy.Client, body);
        await WaitUntilAsync(() => Coalesced(proxy) >= 1);
        await leaderCancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leader);
        release.SetResult();

        var (response, bytes) = await follower;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: message_stop", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        var (hit, _) = await Requests.SendAsync(proxy.Client, body);
        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal(1, proxy.Upstream.MessagesCalls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RepeatAfterTheWholeAnswer_IsAPlainHit_NotAShareOfTheEndedCall(bool stream)
    {
        const int rounds = 40;
        await using var proxy = await ProxyHost.StartAsync();

        for (var round = 0; round < rounds; round++)
        {
            // A fresh question each round, asked again the moment the client has the whole first answer.
            var body = Requests.Body($"Summarise listing {round} for a relocating family", stream);
            var (first, firstBytes) = await Requests.SendAsync(proxy.Client, body);
            var (repeat, repeatBytes) = await Requests.SendAsync(proxy.Client, body);

            Assert.Equal("MISS", first.Header("x-cache"));
            Assert.True(repeat.Header("x-cache") == "HIT",
                $"round {round}: the repeat was {repeat.Header("x-cache")} ({repeat.Header("x-cache-miss-reason")}); the first answer was {(int)first.StatusCode}, {firstBytes.Length} bytes: {Encoding.UTF8.GetString(firstBytes.AsSpan(Math.Max(0, firstBytes.Length - 300)))}");
            Assert.Equal("", repeat.Header("x-cache-coalesced"));
            Assert.NotEqual("", repeat.Header("age"));
            Assert.Equal(Encoding.UTF8.GetString(firstBytes), Encoding.UTF8.GetString(repeatBytes));
        }

        Assert.Equal(rounds, proxy.Upstream.MessagesCalls);
        Assert.Equal(0, Coalesced(proxy));
    }

    internal static long Coalesced(ProxyHost proxy) =>
        proxy.Services.GetRequiredService<ClaudeCache.Telemetry.ClaudeCacheMetrics>().Coalesced;

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
