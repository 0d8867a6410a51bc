using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Telemetry;
using ClaudeCache.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// Spans read through OpenTelemetry's in-memory exporter from a real proxy. The activity source is process-wide:
/// these tests run alone (a rejected request has no key to tell it from another test's), and each still finds its
/// spans by its own request's key prefix (every prompt is unique) and an upstream span by its parent, since a
/// flight of an earlier test may end late.
/// </summary>
[Collection(nameof(TracesTests))]
public sealed class TracesTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Miss_GivesACacheSpan_AndAChildChatSpan_WithTheUpstreamsUsage(bool stream)
    {
        var spans = new SpanCollection();
        await using var proxy = await StartTracedAsync(spans);
        var usage = new FakeUsage(InputTokens: 40, OutputTokens: 12, CacheCreation5m: 7, CacheRead: 30);
        proxy.Upstream.Responder = r => DefaultResponder.Reply(r) with { Usage = usage };

        var (response, _) = await Requests.SendAsync(proxy.Client, Requests.Body(Unique("Appraise 4 Birch Lane"), stream));

        Assert.Equal("MISS", response.Header("x-cache"));
        var key = response.Header("x-cache-key");
        var cache = await WaitForAsync(spans, s => IsCacheSpanOf(s, key));
        var upstream = await WaitForAsync(spans, s => s.ParentSpanId == cache.SpanId && s.TraceId == cache.TraceId);

        Assert.Equal(ActivityKind.Internal, cache.Kind);
        Assert.Equal("MISS", cache.GetTagItem(ClaudeCacheTracing.Status));
        Assert.Equal(response.Header("x-cache-strategy"), cache.GetTagItem(ClaudeCacheTracing.Strategy));
        Assert.Equal(ClaudeCacheTracing.TierUpstream, cache.GetTagItem(ClaudeCacheTracing.Tier));
        Assert.Equal(false, cache.GetTagItem(ClaudeCacheTracing.Coalesced));
        Assert.Equal(false, cache.GetTagItem(ClaudeCacheTracing.MemoHit));
        Assert.Equal(200, cache.GetTagItem(ClaudeCacheTracing.ResponseStatusCode));

        Assert.Equal(ActivityKind.Client, upstream.Kind);
        Assert.Equal("chat claude-sonnet-4-5", upstream.DisplayName);
        Assert.Equal("anthropic", upstream.GetTagItem("gen_ai.provider.name"));
        Assert.Equal("chat", upstream.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("claude-sonnet-4-5", upstream.GetTagItem("gen_ai.request.model"));
        Assert.Equal(ModelCatalog.Resolve("claude-sonnet-4-5"), upstream.GetTagItem("gen_ai.response.model"));
        Assert.Equal(stream ? true : null, upstream.GetTagItem("gen_ai.request.stream"));
        // The convention's input count is all input: Anthropic's uncached input plus cache reads and writes.
        Assert.Equal((long)(usage.InputTokens + usage.CacheRead + usage.CacheCreationInputTokens), upstream.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal((long)usage.OutputTokens, upstream.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal((long)usage.CacheRead, upstream.GetTagItem("gen_ai.usage.cache_read.input_tokens"));
        Assert.Equal((long)usage.CacheCreationInputTokens, upstream.GetTagItem("gen_ai.usage.cache_creation.input_tokens"));
        Assert.Equal(new[] { "end_turn" }, upstream.GetTagItem("gen_ai.response.finish_reasons"));
        Assert.Null(upstream.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Unset, upstream.Status);
        // The upstream call lies inside the request it answers.
        Assert.True(upstream.StartTimeUtc >= cache.StartTimeUtc);
    }

    [Theory]
    [InlineData("no hosting activity")]
    [InlineData("hosting activity nobody records")]
    [InlineData("hosting activity recorded")]
    public async Task ACallersTraceparent_IsTheCacheSpansParent_AndTheUpstreamGetsTheUpstreamSpansContext(string hosting)
    {
        var spans = new SpanCollection();
        // ASP.NET Core starts an activity of its own for a request when its hosting diagnostics log, or when its
        // source is listened to (its instrumentation); by default (appsettings.json) it starts none.
        var settings = hosting == "hosting activity nobody records"
            ? new Dictionary<string, string?> { ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information" }
            : null;
        await using var proxy = await ProxyHost.StartAsync(settings: settings, configureServices: services => services.AddOpenTelemetry()
            .WithTracing(tracing =>
            {
                tracing.AddSource(ClaudeCacheTracing.SourceName).AddInMemoryExporter(spans);
                if (hosting == "hosting activity recorded")
                {
                    tracing.AddSource("Microsoft.AspNetCore");
                }
            }));
        var callerTrace = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();

        var (response, _) = await Requests.SendAsync(proxy.Client, Requests.Body(Unique("Appraise 11 Willow Way")),
            ("traceparent", $"00-{callerTrace}-{callerSpan}-01"), ("tracestate", "vendor=caller"));

        Assert.Equal("MISS", response.Header("x-cache"));
        var cache = await WaitForAsync(spans, s => IsCacheSpanOf(s, response.Header("x-cache-key")));
        var upstream = await WaitForAsync(spans, s => s.ParentSpanId == cache.SpanId && s.Kind == ActivityKind.Client);
        Assert.Equal(callerTrace, cache.TraceId);
        if (hosting == "hosting activity recorded")
        {
            // The server span is recorded: the cache span is its child, and it the caller's.
            var server = await WaitForAsync(spans, s => s.SpanId == cache.ParentSpanId);
            Assert.Equal(ActivityKind.Server, server.Kind);
            Assert.Equal(callerSpan, server.ParentSpanId);
        }
        else
        {
            Assert.Equal(callerSpan, cache.ParentSpanId);
        }

        Assert.Equal(callerTrace, upstream.TraceId);
        // Anthropic is called in the upstream span's context (HttpClient's own request activity, a child of the
        // upstream span, names itself as the parent), not with the caller's header copied.
        var received = proxy.Upstream.Received.Single(r => r.BodyText.Contains("11 Willow Way", StringComparison.Ordinal));
        Assert.True(ActivityContext.TryParse(received.Header("traceparent"), received.Header("tracestate"), out var sent));
        Assert.Equal(callerTrace, sent.TraceId);
        Assert.NotEqual(callerSpan, sent.SpanId);
        Assert.NotEqual(cache.SpanId, sent.SpanId);
    }

    [Fact]
    public async Task Hit_GivesACacheSpanWithHit_FromMemory_AndNoUpstreamSpan()
    {
        var spans = new SpanCollection();
        await using var proxy = await StartTracedAsync(spans);
        var body = Requests.Body(Unique("Explain escrow to a first-time buyer"));
        var (miss, _) = await Requests.SendAsync(proxy.Client, body);
        var key = miss.Header("x-cache-key");
        await WaitForAsync(spans, s => IsCacheSpanOf(s, key) && (string?)s.GetTagItem(ClaudeCacheTracing.Status) == "MISS");

        var (hit, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal("HIT", hit.Header("x-cache"));
        var span = await WaitForAsync(spans, s => IsCacheSpanOf(s, key) && (string?)s.GetTagItem(ClaudeCacheTracing.Status) == "HIT");
        Assert.Equal(ClaudeCacheTracing.TierMemory, span.GetTagItem(ClaudeCacheTracing.Tier));
        Assert.Equal(false, span.GetTagItem(ClaudeCacheTracing.Coalesced));
        // The same bytes again: step 1's memo answered, no parse.
        Assert.Equal(true, span.GetTagItem(ClaudeCacheTracing.MemoHit));
        Assert.DoesNotContain(spans.Snapshot(), s => s.TraceId == span.TraceId && s.Kind == ActivityKind.Client);
        Assert.Equal(1, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task Hit_FromTheSecondTier_NamesItsTier()
    {
        var spans = new SpanCollection();
        await using var proxy = await StartTracedAsync(spans);
        var body = Requests.Body(Unique("Compare two offers on 9 Cedar Court"));
        var (miss, _) = await Requests.SendAsync(proxy.Client, body);
        var key = miss.Header("x-cache-key");
        await proxy.SettleAsync();
        // Gone from memory, still in SQLite.
        proxy.Cache.EvictLocal(key);

        var (hit, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal("HIT", hit.Header("x-cache"));
        var span = await WaitForAsync(spans, s => IsCacheSpanOf(s, key) && (string?)s.GetTagItem(ClaudeCacheTracing.Status) == "HIT");
        Assert.Equal(ClaudeCacheTracing.TierSecond, span.GetTagItem(ClaudeCacheTracing.Tier));
    }

    [Fact]
    public async Task CoalescedFollower_IsMarked_AndOnlyTheLeaderHasAnUpstreamSpan()
    {
        var spans = new SpanCollection();
        await using var proxy = await StartTracedAsync(spans);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Upstream.BeforeRespond = (_, ct) => release.Task.WaitAsync(ct);
        var body = Requests.Body(Unique("Analyse 7 Elm Road for a first-time buyer"));

        var leader = Requests.SendAsync(proxy.Client, body);
        await CoalescingTests.WaitUntilAsync(() => proxy.Upstream.MessagesCalls >= 1);
        var coalescedBefore = CoalescingTests.Coalesced(proxy);
        using var second = proxy.CreateClient();
        var follower = Requests.SendAsync(second, body);
        await CoalescingTests.WaitUntilAsync(() => CoalescingTests.Coalesced(proxy) > coalescedBefore);
        release.SetResult();
        var results = await Task.WhenAll(leader, follower);

        var key = results[0].Response.Header("x-cache-key");
        Assert.Equal("true", results[1].Response.Header("x-cache-coalesced"));
        var leaderSpan = await WaitForAsync(spans, s => IsCacheSpanOf(s, key) && (bool?)s.GetTagItem(ClaudeCacheTracing.Coalesced) == false);
        var followerSpan = await WaitForAsync(spans, s => IsCacheSpanOf(s, key) && (bool?)s.GetTagItem(ClaudeCacheTracing.Coalesced) == true);
        await WaitForAsync(spans, s => s.ParentSpanId == leaderSpan.SpanId && s.Kind == ActivityKind.Client);

        Assert.Equal("MISS", leaderSpan.GetTagItem(ClaudeCacheTracing.Status));
        Assert.Equal("HIT", followerSpan.GetTagItem(ClaudeCacheTracing.Status));
        Assert.Equal(ClaudeCacheTracing.TierFlight, followerSpan.GetTagItem(ClaudeCacheTracing.Tier));
        Assert.DoesNotContain(spans.Snapshot(), s => s.ParentSpanId == followerSpan.SpanId);
        Assert.Single(spans.Snapshot(), s => s.Kind == ActivityKind.Client && (s.ParentSpanId == leaderSpan.SpanId || s.ParentSpanId == followerSpan.SpanId));
    }

    [Fact]
    public async Task NoSpanAttribute_CarriesThePrompt_TheApiKey_OrTheWholeCacheKey()
    {
        var spans = new SpanCollection();
        await using var proxy = await StartTracedAsync(spans);
        var prompt = Unique("Confidential: the seller at 12 Oak Street accepts 480k");
        var apiKey = "sk-ant-secret-" + Guid.NewGuid().ToString("N");
        using var client = proxy.CreateClient(apiKey);
        var body = Requests.Body(prompt, system: "Secret system prompt " + prompt);

        var (miss, missBody) = await Requests.SendAsync(client, body);
        var (hit, _) = await Requests.SendAsync(client, body);
        var (streamed, _) = await Requests.SendAsync(client, Requests.Body(prompt, stream: true));

        var keys = new[] { miss, hit, streamed }.Select(r => r.Header("x-cache-key")).Distinct().ToList();
        var cacheSpans = await WaitForAllAsync(spans, s => keys.Any(k => IsCacheSpanOf(s, k)), 3);
        var traces = cacheSpans.Select(s => s.TraceId).ToHashSet();
        var upstreamSpans = await WaitForAllAsync(spans, s => s.Kind == ActivityKind.Client && traces.Contains(s.TraceId), 1);
        var traced = cacheSpans.Concat(upstreamSpans).ToList();
        var answerText = JsonDocument.Parse(missBody).RootElement.GetProperty("content")[0].GetProperty("text").GetString()!;

        Assert.Equal(3, cacheSpans.Count);
        foreach (var span in traced)
        {
            var values = span.TagObjects.Select(t => Render(t.Value)).Append(span.DisplayName).ToList();
            Assert.DoesNotContain(values, v => v.Contains("Confidential", StringComparison.Ordinal));
            Assert.DoesNotContain(values, v => v.Contains("Secret system prompt", StringComparison.Ordinal));
            Assert.DoesNotContain(values, v => v.Contains(apiKey, StringComparison.Ordinal) || v.Contains("sk-ant", StringComparison.Ordinal));
            Assert.DoesNotContain(values, v => v.Contains(answerText[..40], StringComparison.Ordinal));
            Assert.DoesNotContain(values, v => keys.Any(k => v.Contains(k, StringComparison.Ordinal)));
        }
    }

    [Theory]
    [InlineData("overloaded", "overloaded_error")]
    [InlineData("mid-stream error", "stream_error")]
    [InlineData("unreachable", "unreachable")]
    public async Task FailedUpstreamCall_IsAChatSpanWithItsErrorType(string failure, string errorType)
    {
        var spans = new SpanCollection();
        var settings = failure == "unreachable" ? new Dictionary<string, string?> { ["ClaudeCache:Upstream"] = $"http://127.0.0.1:{FreePort()}" } : null;
        await using var proxy = await StartTracedAsync(spans, settings);
        proxy.Upstream.Responder = failure == "overloaded" ? _ => FakeReply.Overloaded() : r => DefaultResponder.Reply(r) with { MidStreamErrorAfterEvents = 3 };

        var (response, _) = await Requests.SendAsync(proxy.Client, Requests.Body(Unique("Value 3 Ash Close"), stream: failure == "mid-stream error"));

        var cache = await WaitForAsync(spans, s => IsCacheSpanOf(s, response.Header("x-cache-key")));
        var upstream = await WaitForAsync(spans, s => s.ParentSpanId == cache.SpanId && s.TraceId == cache.TraceId);
        Assert.Equal(errorType, upstream.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, upstream.Status);
        Assert.Null(upstream.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal((int)response.StatusCode, cache.GetTagItem(ClaudeCacheTracing.ResponseStatusCode));
    }

    [Fact]
    public async Task RejectedRequest_GivesARejectedCacheSpan_AndNoUpstreamSpan()
    {
        var spans = new SpanCollection();
        await using var proxy = await StartTracedAsync(spans);
        var marker = Unique("not json");
        proxy.Upstream.ResetCounters();

        var (response, _) = await Requests.SendAsync(proxy.Client, "{\"model\": \"" + marker);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        // A rejected request has no key to find it by: it is the one with this test's trace (the request ran here).
        var rejected = await WaitForAsync(spans, s => s.OperationName == ClaudeCacheTracing.CacheSpanName && (string?)s.GetTagItem(ClaudeCacheTracing.Status) == "REJECTED");
        Assert.Equal(400, rejected.GetTagItem(ClaudeCacheTracing.ResponseStatusCode));
        Assert.Null(rejected.GetTagItem(ClaudeCacheTracing.KeyPrefix));
        Assert.DoesNotContain(spans.Snapshot(), s => s.TraceId == rejected.TraceId && s.Kind == ActivityKind.Client);
        Assert.Equal(0, proxy.Upstream.MessagesCalls);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("OTEL_TRACES_EXPORTER", "none")]
    [InlineData("OTEL_SDK_DISABLED", "true")]
    public async Task WithoutAnOtlpEndpoint_OrWithTracesSwitchedOff_NoTracerProviderIsRegistered(string? variable, string? value)
    {
        // Empty, whatever the machine's environment says; or set, and switched off by the SDK's own variables.
        var settings = new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = variable is null ? "" : "http://127.0.0.1:4318",
        };
        if (variable is not null)
        {
            settings[variable] = value;
        }

        await using var proxy = await ProxyHost.StartAsync(settings: settings);

        Assert.Null(proxy.Services.GetService<TracerProvider>());
    }

    [Fact]
    public async Task WithAnOtlpEndpoint_SpansAreExportedToIt()
    {
        await using var collector = await FakeCollector.StartAsync();
        var baseAddress = collector.BaseAddress.ToString().TrimEnd('/');
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?>
        {
            // The base: over HTTP the exporter posts to {endpoint}/v1/traces.
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = baseAddress,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "50",
        });
        Assert.NotNull(proxy.Services.GetService<TracerProvider>());

        var (response, _) = await Requests.SendAsync(proxy.Client, Requests.Body(Unique("Summarise the HOA rules")));
        var prefix = response.Header("x-cache-key")[..ClaudeCacheTracing.KeyPrefixLength];

        // Protobuf keeps strings as UTF-8: this request's spans are in an export once its key prefix is.
        await CoalescingTests.WaitUntilAsync(() => collector.Received.Any(b => b.Contains(prefix, StringComparison.Ordinal)));
        var export = collector.Received.First(b => b.Contains(prefix, StringComparison.Ordinal));
        Assert.Contains(ClaudeCacheTracing.CacheSpanName, export, StringComparison.Ordinal);
        await CoalescingTests.WaitUntilAsync(() => collector.Received.Any(b => b.Contains("chat claude-sonnet-4-5", StringComparison.Ordinal)));
    }

    private static Task<ProxyHost> StartTracedAsync(SpanCollection spans, IDictionary<string, string?>? settings = null) =>
        ProxyHost.StartAsync(settings: settings, configureServices: services => services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(ClaudeCacheTracing.SourceName).AddInMemoryExporter(spans)));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Unique(string text) => $"{text} ({Guid.NewGuid():N})";

    private static bool IsCacheSpanOf(Activity span, string key) =>
        span.OperationName == ClaudeCacheTracing.CacheSpanName
        && (string?)span.GetTagItem(ClaudeCacheTracing.KeyPrefix) == key[..ClaudeCacheTracing.KeyPrefixLength];

    // Spans end after the response: the cache span when the front end disposes its outcome, the upstream span once the
    // flight is judged. Wait for them.
    private static async Task<Activity> WaitForAsync(SpanCollection spans, Func<Activity, bool> match)
    {
        Activity? found = null;
        await CoalescingTests.WaitUntilAsync(() => (found = spans.Snapshot().FirstOrDefault(match)) is not null);
        return found!;
    }

    private static async Task<IReadOnlyList<Activity>> WaitForAllAsync(SpanCollection spans, Func<Activity, bool> match, int count)
    {
        await CoalescingTests.WaitUntilAsync(() => spans.Snapshot().Count(match) >= count);
        return spans.Snapshot().Where(match).ToList();
    }

    private static string Render(object? value) => value switch
    {
        null => "",
        string s => s,
        IEnumerable<string> many => string.Join(",", many),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>An OTLP/HTTP collector on a loopback port that keeps every trace export it receives, as text.</summary>
    private sealed class FakeCollector : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeCollector(WebApplication app, ConcurrentQueue<string> received)
        {
            _app = app;
            Received = received;
            BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }

        public Uri BaseAddress { get; }

        public ConcurrentQueue<string> Received { get; }

        public static async Task<FakeCollector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var received = new ConcurrentQueue<string>();
            app.MapPost("/v1/traces", async (HttpContext context) =>
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer);
                received.Enqueue(Encoding.UTF8.GetString(buffer.ToArray()));
                context.Response.ContentType = "application/x-protobuf";
            });
            await app.StartAsync();
            return new FakeCollector(app, received);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(nameof(TracesTests), DisableParallelization = true)]
public sealed class TracesRunAlone;
