using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using ClaudeCache.Telemetry;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// The cache span of a library call is a child of the caller's current activity, and the upstream span its child
/// (docs/traces.md). Spans are found by the caller's own trace id: the listener is process-wide.
/// </summary>
public sealed class LibraryTracesTests
{
    private static readonly ActivitySource Caller = new(nameof(LibraryTracesTests));

    [Theory]
    [InlineData("GetOrCallAsync")]
    [InlineData("ClaudeCacheHandler")]
    public async Task ALibraryCall_IsTracedUnderTheCallersActivity(string front)
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is ClaudeCacheTracing.SourceName or nameof(LibraryTracesTests),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var test = await TestEngine.StartAsync();
        var body = Encoding.UTF8.GetBytes($$"""{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Trace {{Guid.NewGuid():N}}"}]}""");
        var ct = TestContext.Current.CancellationToken;

        ActivityTraceId trace;
        ActivitySpanId parent;
        using (var caller = Caller.StartActivity("caller")!)
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

        // The upstream span ends once its call is judged, just after the caller has its answer.
        await WaitUntilAsync(() => stopped.Count(s => s.TraceId == trace && s.Source.Name == ClaudeCacheTracing.SourceName) >= 2);
        var cache = Assert.Single(stopped, s => s.TraceId == trace && s.OperationName == ClaudeCacheTracing.CacheSpanName);
        Assert.Equal(parent, cache.ParentSpanId);
        var upstream = Assert.Single(stopped, s => s.TraceId == trace && s.Kind == ActivityKind.Client && s.Source.Name == ClaudeCacheTracing.SourceName);
        Assert.Equal(cache.SpanId, upstream.ParentSpanId);
        Assert.Equal("chat claude-sonnet-4-5", upstream.DisplayName);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}
