using System.Diagnostics;
using System.Text;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// The cache span of a library call is a child of the caller's current activity, and the upstream span its child
/// (docs/traces.md). Spans are found by the caller's own trace id: the listener is process-wide.
/// </summary>
public sealed class LibraryTracesTests
{
    [Theory]
    [InlineData("GetOrCallAsync")]
    [InlineData("ClaudeCacheHandler")]
    public async Task ALibraryCall_IsTracedUnderTheCallersActivity(string front)
    {
        await using var traced = await TracedEngine.StartAsync(nameof(LibraryTracesTests));
        var test = traced.Test;
        var body = Encoding.UTF8.GetBytes($$"""{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Trace {{Guid.NewGuid():N}}"}]}""");
        var ct = TestContext.Current.CancellationToken;

        ActivityTraceId trace;
        ActivitySpanId parent;
        using (var caller = traced.StartCaller())
        {
            trace = caller.TraceId;
            parent = caller.SpanId;
            // The handler in front of the SDK's connection; GetOrCallAsync calls upstream with a plain client.
            using var http = front == "GetOrCallAsync" ? new HttpClient() : new HttpClient(new ClaudeCacheHandler(test.Engine, new SocketsHttpHandler(), test.Clock));
            if (front == "GetOrCallAsync")
            {
                var result = await test.Engine.GetOrCallAsync(body, new RequestHeaders("sk-ant-trace", null, "2023-06-01", null, null, null, null, null), token =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Post, new Uri(test.Upstream.BaseAddress, "v1/messages")) { Content = new ByteArrayContent(body) };
                    request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                    request.Headers.Add("x-api-key", "sk-ant-trace");
                    request.Headers.Add("anthropic-version", "2023-06-01");
                    return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
                }, ct);
                Assert.Equal("MISS", result.Status);
            }
            else
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(test.Upstream.BaseAddress, "v1/messages")) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                request.Headers.Add("x-api-key", "sk-ant-trace");
                request.Headers.Add("anthropic-version", "2023-06-01");
                using var response = await http.SendAsync(request, ct);
                Assert.Equal("MISS", response.Headers.GetValues("x-cache").Single());
                await response.Content.ReadAsByteArrayAsync(ct);
            }
        }

        await traced.WaitForCallSpansAsync(trace);
        var cache = traced.CacheSpan(trace);
        Assert.Equal(parent, cache.ParentSpanId);
        var upstream = traced.UpstreamSpan(trace);
        Assert.Equal(cache.SpanId, upstream.ParentSpanId);
        Assert.Equal("chat claude-sonnet-4-5", upstream.DisplayName);
    }
}
