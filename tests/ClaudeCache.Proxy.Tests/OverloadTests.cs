using System.Net;
using System.Text.Json;
using ClaudeCache.Proxy.Pipeline;
using ClaudeCache.Proxy.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// The bounds on what the messages endpoints hold at once (<c>MaxConcurrentRequests</c>,
/// <c>MaxInFlightRequestBodyBytes</c>): a request over one is a 503 <c>overloaded_error</c> with <c>retry-after</c>,
/// never forwarded, counted in <c>/metrics</c> and <c>/admin/stats</c>; and the room comes back when requests end.
/// Requests are held at the fake upstream's gate, so "at once" is exact, not timed.
/// </summary>
// It reads /metrics: no other proxy's meter (the same name, in this process) may report into its scrape meanwhile.
[Collection(nameof(MetricsTests))]
public sealed class OverloadTests
{
    private const int Kib = 1024;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RequestOverTheConcurrencyBound_Is503Overloaded_WithRetryAfter_NeverForwarded()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?> { ["ClaudeCache:MaxConcurrentRequests"] = "2" });
        var (release, held) = await HoldAsync(proxy, Requests.Body("held one"), Requests.Body("held two"));

        var (refused, body) = await Requests.SendAsync(proxy.Client, Requests.Body("one too many"));

        AssertOverloaded(refused, body, "2 requests at once");
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
        release.SetResult();
        Assert.All(await Task.WhenAll(held), r => Assert.Equal(HttpStatusCode.OK, r.Response.StatusCode));
        var limits = proxy.Services.GetRequiredService<RequestLimits>();
        await CoalescingTests.WaitUntilAsync(() => limits.InFlightRequests == 0); // a slot is freed just after the response
        var (again, _) = await Requests.SendAsync(proxy.Client, Requests.Body("one too many"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal((1, 0), await RefusedAsync(proxy));
        Assert.Matches(new System.Text.RegularExpressions.Regex(@"^claudecache_requests_overloaded_total\{[^}]*reason=""concurrency""[^}]*\} 1(\s|$)", System.Text.RegularExpressions.RegexOptions.Multiline), await proxy.Client.GetStringAsync("metrics", Token));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BodyOverTheInFlightBound_Is503Overloaded_DeclaredOrChunked_AndTheRoomComesBack(bool chunked)
    {
        // Room for 16 chunks of 64 KiB; the held request takes 10 of them.
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["ClaudeCache:MaxRequestBodyBytes"] = (1024 * Kib).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ClaudeCache:MaxInFlightRequestBodyBytes"] = (1024 * Kib).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var large = Requests.Body(new string('a', 600 * Kib));
        var (release, held) = await HoldAsync(proxy, large);
        Assert.Equal(640 * Kib, await InFlightAsync(proxy));

        using var refused = await SendAsync(proxy, Requests.Body(new string('b', 600 * Kib)), chunked);
        AssertOverloaded(refused, await refused.Content.ReadAsByteArrayAsync(Token), "request body bytes at once");
        using var small = await SendAsync(proxy, Requests.Body("a small one fits beside it"), chunked);
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);

        release.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await held.Single()).Response.StatusCode);
        var limits = proxy.Services.GetRequiredService<RequestLimits>();
        await CoalescingTests.WaitUntilAsync(() => limits.InFlightBodyBytes == 0); // released just after the response
        Assert.Equal(0, await InFlightAsync(proxy));
        using var afterwards = await SendAsync(proxy, Requests.Body(new string('b', 600 * Kib)), chunked);
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
        Assert.Equal(3, proxy.Upstream.MessagesCalls); // the refused one was never forwarded
        Assert.Equal((0, 1), await RefusedAsync(proxy));
        Assert.Matches(new System.Text.RegularExpressions.Regex(@"^claudecache_requests_overloaded_total\{[^}]*reason=""body_bytes""[^}]*\} 1(\s|$)", System.Text.RegularExpressions.RegexOptions.Multiline), await proxy.Client.GetStringAsync("metrics", Token));
    }

    [Fact]
    public async Task DeclaredBodyOverAMebibyte_IsReadWhole_CountedAsItsChunks_SentAsItCame_KeyedAsWhenChunked()
    {
        // 1.5 MiB declared: read into one pooled array, not chunks; still reserved as 24 chunks of 64 KiB.
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["ClaudeCache:MaxRequestBodyBytes"] = (4096 * Kib).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ClaudeCache:MaxInFlightRequestBodyBytes"] = (4096 * Kib).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var body = Requests.Body("\u00e9 " + new string('w', 1536 * Kib) + " \"tail\"");
        var length = System.Text.Encoding.UTF8.GetByteCount(body);
        Assert.True(length > RequestBody.WholeFromBytes);
        var (release, held) = await HoldAsync(proxy, body);
        Assert.Equal((long)RequestBody.ChunksFor(length) * RequestBody.ChunkBytes, await InFlightAsync(proxy));
        release.SetResult();
        var (first, _) = await held.Single();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(body), proxy.Upstream.Received.Single(r => r.Path.StartsWith("/v1/messages", StringComparison.Ordinal)).Body);

        // The same bytes sent chunked (read into chunks) find the entry the declared send stored.
        using var chunked = await SendAsync(proxy, body, chunked: true);
        Assert.Equal(HttpStatusCode.OK, chunked.StatusCode);
        Assert.Equal("HIT", chunked.Header("x-cache"));
        Assert.Equal(1, proxy.Upstream.MessagesCalls);
        var limits = proxy.Services.GetRequiredService<RequestLimits>();
        await CoalescingTests.WaitUntilAsync(() => limits.InFlightBodyBytes == 0);
    }

    /// <summary>Sends <paramref name="bodies"/> and waits until each is held at the upstream's gate; later calls pass.</summary>
    private static async Task<(TaskCompletionSource Release, Task<(HttpResponseMessage Response, byte[] Body)>[] Held)> HoldAsync(ProxyHost proxy, params string[] bodies)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = 0;
        proxy.Upstream.BeforeRespond = (_, ct) => Interlocked.Increment(ref arrived) <= bodies.Length ? release.Task.WaitAsync(ct) : Task.CompletedTask;
        var held = bodies.Select(body => Requests.SendAsync(proxy.Client, body)).ToArray();
        await CoalescingTests.WaitUntilAsync(() => Volatile.Read(ref arrived) >= bodies.Length);
        return (release, held);
    }

    private static async Task<HttpResponseMessage> SendAsync(ProxyHost proxy, string body, bool chunked)
    {
        using var request = Requests.Post(body);
        request.Headers.TransferEncodingChunked = chunked;
        return await proxy.Client.SendAsync(request, Token);
    }

    private static void AssertOverloaded(HttpResponseMessage response, byte[] body, string bound)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("1", response.Header("retry-after"));
        Assert.Equal("true", response.Header("x-should-retry"));
        using var json = JsonDocument.Parse(body);
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("overloaded_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains(bound, json.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(response.Header("request-id"), json.RootElement.GetProperty("request_id").GetString());
        Assert.Equal("", response.Header("x-cache")); // refused before the cache saw it
    }

    private static async Task<(long Concurrency, long BodyBytes)> RefusedAsync(ProxyHost proxy)
    {
        var overload = await OverloadAsync(proxy);
        return (overload.GetProperty("refusedConcurrency").GetInt64(), overload.GetProperty("refusedBodyBytes").GetInt64());
    }

    private static async Task<long> InFlightAsync(ProxyHost proxy) => (await OverloadAsync(proxy)).GetProperty("inFlightBodyBytes").GetInt64();

    private static async Task<JsonElement> OverloadAsync(ProxyHost proxy)
    {
        using var admin = proxy.CreateAdminClient();
        using var stats = JsonDocument.Parse(await admin.GetStringAsync("admin/stats?window=1h", Token));
        return stats.RootElement.GetProperty("overload").Clone();
    }
}
