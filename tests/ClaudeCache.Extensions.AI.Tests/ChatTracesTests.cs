using System.Diagnostics;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.AI;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// A call through the <c>IChatClient</c> middleware is traced as a library call is (docs/traces.md): a cache span
/// under the caller's current activity, and, when the call leads the inner call, an upstream span under it with the
/// inner client's usage. Spans are found by the caller's own trace id: the listener is process-wide.
/// </summary>
public sealed class ChatTracesTests
{
    private const string Model = "claude-sonnet-4-5";

    // Input counted as Microsoft.Extensions.AI counts it: all of it, the prompt cache's reads and writes included.
    private static UsageDetails Usage(long output = 250) => new()
    {
        InputTokenCount = 7_000,
        OutputTokenCount = output,
        CachedInputTokenCount = 4_000,
        AdditionalCounts = new() { ["CacheCreationInputTokens"] = 2_000 },
    };

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    [InlineData(false, "example-provider")]
    [InlineData(true, "example-provider")]
    public async Task AMissThenAHit_AreTracedUnderTheCallersActivity(bool streaming, string? provider)
    {
        await using var traced = await TracedEngine.StartAsync(nameof(ChatTracesTests));
        var calls = 0;
        using var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) =>
            {
                Interlocked.Increment(ref calls);
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Forty-two"))
                {
                    ModelId = Model + "-20250929",
                    FinishReason = ChatFinishReason.Stop,
                    Usage = Usage(),
                });
            },
            GetStreamingResponseAsyncCallback = (_, _, ct) =>
            {
                Interlocked.Increment(ref calls);
                return TestChatClient.Yield(
                [
                    new ChatResponseUpdate(ChatRole.Assistant, "Forty") { ModelId = Model + "-20250929" },
                    new ChatResponseUpdate(ChatRole.Assistant, "-two") { ModelId = Model + "-20250929", Contents = { new UsageContent(Usage(output: 100)) } },
                    // The stream's usage is the sum of its usage contents.
                    new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { OutputTokenCount = 150 })], FinishReason = ChatFinishReason.Stop },
                ], ct);
            },
        };
        using var reporting = new ReportingChatClient(inner, provider);
        using var chat = reporting.AsBuilder().UseClaudeCache(traced.Engine).Build();
        var options = new ChatOptions { ModelId = Model };
        var question = $"Trace {Guid.NewGuid():N}";

        var (missTrace, missParent) = await CallAsync(traced, chat, question, options, streaming);
        await traced.WaitForCallSpansAsync(missTrace);
        var (hitTrace, hitParent) = await CallAsync(traced, chat, question, options, streaming);

        Assert.Equal(1, calls);
        Assert.NotEqual(missTrace, hitTrace);

        // The miss: the cache span under the caller's activity, the inner call's span under it.
        var miss = traced.CacheSpan(missTrace);
        Assert.Equal(missParent, miss.ParentSpanId);
        Assert.Equal(ActivityKind.Internal, miss.Kind);
        Assert.Equal("MISS", miss.GetTagItem(ClaudeCacheTracing.Status));
        Assert.Equal("standard", miss.GetTagItem(ClaudeCacheTracing.Strategy));
        Assert.Equal(ClaudeCacheTracing.TierUpstream, miss.GetTagItem(ClaudeCacheTracing.Tier));
        Assert.Equal(false, miss.GetTagItem(ClaudeCacheTracing.Coalesced));
        // No HTTP request: no status code, no request memo.
        Assert.Null(miss.GetTagItem(ClaudeCacheTracing.ResponseStatusCode));
        Assert.Null(miss.GetTagItem(ClaudeCacheTracing.MemoHit));
        var prefix = Assert.IsType<string>(miss.GetTagItem(ClaudeCacheTracing.KeyPrefix));
        Assert.Matches("^[0-9a-f]{12}$", prefix);

        var upstream = traced.UpstreamSpan(missTrace);
        Assert.Equal(miss.SpanId, upstream.ParentSpanId);
        Assert.Equal($"chat {Model}", upstream.DisplayName);
        Assert.Equal(provider ?? "anthropic", upstream.GetTagItem(ClaudeCacheTracing.GenAiProviderName));
        Assert.Equal("chat", upstream.GetTagItem(ClaudeCacheTracing.GenAiOperationName));
        Assert.Equal(Model, upstream.GetTagItem(ClaudeCacheTracing.GenAiRequestModel));
        Assert.Equal(streaming ? true : null, upstream.GetTagItem(ClaudeCacheTracing.GenAiRequestStream));
        Assert.Equal(Model + "-20250929", upstream.GetTagItem(ClaudeCacheTracing.GenAiResponseModel));
        Assert.Equal(7_000L, upstream.GetTagItem(ClaudeCacheTracing.GenAiInputTokens));
        Assert.Equal(250L, upstream.GetTagItem(ClaudeCacheTracing.GenAiOutputTokens));
        Assert.Equal(4_000L, upstream.GetTagItem(ClaudeCacheTracing.GenAiCacheReadInputTokens));
        Assert.Equal(2_000L, upstream.GetTagItem(ClaudeCacheTracing.GenAiCacheCreationInputTokens));
        Assert.Equal(["stop"], Assert.IsType<string[]>(upstream.GetTagItem(ClaudeCacheTracing.GenAiResponseFinishReasons)));
        Assert.Equal(ActivityStatusCode.Unset, upstream.Status);

        // The hit: a cache span of the same key under the second caller's activity, and no upstream span.
        var hit = traced.CacheSpan(hitTrace);
        Assert.Equal(hitParent, hit.ParentSpanId);
        Assert.Equal("HIT", hit.GetTagItem(ClaudeCacheTracing.Status));
        Assert.Equal(ClaudeCacheTracing.TierMemory, hit.GetTagItem(ClaudeCacheTracing.Tier));
        Assert.Equal(prefix, hit.GetTagItem(ClaudeCacheTracing.KeyPrefix));
        Assert.Equal(false, hit.GetTagItem(ClaudeCacheTracing.Coalesced));
        Assert.DoesNotContain(traced.InTrace(hitTrace), s => s.Kind == ActivityKind.Client);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AFailingInnerCall_EndsBothSpansInError(bool streaming)
    {
        await using var traced = await TracedEngine.StartAsync(nameof(ChatTracesTests));
        using var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => throw new InvalidOperationException("The inner client failed."),
            GetStreamingResponseAsyncCallback = (_, _, _) => throw new InvalidOperationException("The inner client failed."),
        };
        using var chat = inner.AsBuilder().UseClaudeCache(traced.Engine).Build();

        ActivityTraceId trace;
        using (var caller = traced.StartCaller())
        {
            trace = caller.TraceId;
            await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            {
                if (streaming)
                {
                    await chat.GetStreamingResponseAsync($"Fail {Guid.NewGuid():N}", new ChatOptions { ModelId = Model }, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
                }
                else
                {
                    await chat.GetResponseAsync($"Fail {Guid.NewGuid():N}", new ChatOptions { ModelId = Model }, TestContext.Current.CancellationToken);
                }
            });
        }

        await traced.WaitForCallSpansAsync(trace);
        var cache = traced.CacheSpan(trace);
        var upstream = traced.UpstreamSpan(trace);
        Assert.Equal(cache.SpanId, upstream.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Error, cache.Status);
        Assert.Equal(typeof(InvalidOperationException).FullName, cache.GetTagItem(ClaudeCacheTracing.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, upstream.Status);
        Assert.Equal(typeof(InvalidOperationException).FullName, upstream.GetTagItem(ClaudeCacheTracing.ErrorType));
        Assert.Null(upstream.GetTagItem(ClaudeCacheTracing.GenAiInputTokens));
    }

    [Fact]
    public async Task UsageWithoutPromptCacheCounts_TagsInputAndOutputOnly()
    {
        await using var traced = await TracedEngine.StartAsync(nameof(ChatTracesTests));
        using var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Forty-two"))
            {
                Usage = new UsageDetails { InputTokenCount = 900, OutputTokenCount = 40 },
            }),
        };
        using var chat = inner.AsBuilder().UseClaudeCache(traced.Engine).Build();

        var (trace, _) = await CallAsync(traced, chat, $"Trace {Guid.NewGuid():N}", new ChatOptions { ModelId = Model }, streaming: false);

        await traced.WaitForCallSpansAsync(trace);
        var upstream = traced.UpstreamSpan(trace);
        Assert.Equal(900L, upstream.GetTagItem(ClaudeCacheTracing.GenAiInputTokens));
        Assert.Equal(40L, upstream.GetTagItem(ClaudeCacheTracing.GenAiOutputTokens));
        Assert.Null(upstream.GetTagItem(ClaudeCacheTracing.GenAiCacheReadInputTokens));
        Assert.Null(upstream.GetTagItem(ClaudeCacheTracing.GenAiCacheCreationInputTokens));
        Assert.Null(upstream.GetTagItem(ClaudeCacheTracing.GenAiResponseModel));
        Assert.Null(upstream.GetTagItem(ClaudeCacheTracing.GenAiResponseFinishReasons));
    }

    private static async Task<(ActivityTraceId Trace, ActivitySpanId Parent)> CallAsync(TracedEngine traced, IChatClient chat, string question, ChatOptions options, bool streaming)
    {
        var ct = TestContext.Current.CancellationToken;
        using var caller = traced.StartCaller();
        if (streaming)
        {
            var updates = await chat.GetStreamingResponseAsync(question, options, ct).ToListAsync(ct);
            Assert.Equal("Forty-two", updates.ToChatResponse().Text);
        }
        else
        {
            Assert.Equal("Forty-two", (await chat.GetResponseAsync(question, options, ct)).Text);
        }

        return (caller.TraceId, caller.SpanId);
    }

    /// <summary>An inner client that reports <paramref name="provider"/> in its <see cref="ChatClientMetadata"/> (none: no metadata).</summary>
    private sealed class ReportingChatClient(IChatClient inner, string? provider) : DelegatingChatClient(inner)
    {
        public override object? GetService(Type serviceType, object? serviceKey = null) =>
            provider is not null && serviceType == typeof(ChatClientMetadata) && serviceKey is null
                ? new ChatClientMetadata(provider, null, "some-default-model")
                : base.GetService(serviceType, serviceKey);
    }
}
