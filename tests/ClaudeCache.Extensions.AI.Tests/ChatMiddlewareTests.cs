using System.ComponentModel;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using Microsoft.Extensions.AI;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// The behaviours Microsoft.Extensions.AI's own caching tests check (DistributedCachingChatClientTest), for
/// our middleware — and one they do not: the key varies by tools.
/// </summary>
public sealed class ChatMiddlewareTests : IAsyncDisposable
{
    private readonly CacheEngine _engine = ClaudeCacheEngineFactory.Create(new ClaudeCacheOptions { Storage = { Provider = "memory" } });

    public ValueTask DisposeAsync() => _engine.Cache.DisposeAsync();

    private IChatClient Outer(IChatClient inner, Action<ClaudeCacheChatOptions>? configure = null) =>
        new ChatClientBuilder(inner).UseClaudeCache(_engine, configure).Build();

    private static ChatResponse Answer(string text) => new(new ChatMessage(ChatRole.Assistant, text))
    {
        ResponseId = "resp-" + text,
        ModelId = "claude-sonnet-4-5",
        FinishReason = ChatFinishReason.Stop,
        Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 3 },
    };

    [Fact]
    public async Task CachesSuccessResultsAsync()
    {
        var calls = 0;
        using var inner = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => { calls++; return Task.FromResult(Answer("Hello")); } };
        using var outer = Outer(inner);
        var ct = TestContext.Current.CancellationToken;

        var first = await outer.GetResponseAsync("some input", cancellationToken: ct);
        var second = await outer.GetResponseAsync("some input", cancellationToken: ct);

        Assert.Equal(1, calls);
        Assert.Equal("Hello", second.Text);
        Assert.Equal(first.ResponseId, second.ResponseId);
        Assert.Equal(first.FinishReason, second.FinishReason);
        Assert.Equal(10, second.Usage!.InputTokenCount);
        Assert.NotSame(first, second);
    }

    [Fact]
    public async Task StreamingReplaysUpdatesAsReceivedAsync()
    {
        var calls = 0;
        ChatResponseUpdate[] updates =
        [
            new(ChatRole.Assistant, "Hel") { MessageId = "m1", ResponseId = "r1" },
            new(null, "lo") { MessageId = "m1", ResponseId = "r1" },
            new() { Contents = [new UsageContent(new UsageDetails { OutputTokenCount = 2 })], FinishReason = ChatFinishReason.Stop },
        ];
        using var inner = new TestChatClient { GetStreamingResponseAsyncCallback = (_, _, ct) => { calls++; return TestChatClient.Yield(updates, ct); } };
        using var outer = Outer(inner);

        var first = await outer.GetStreamingResponseAsync("some input", cancellationToken: TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        var second = await outer.GetStreamingResponseAsync("some input", cancellationToken: TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, calls);
        Assert.Equal(3, second.Count);
        Assert.Equal(first.Select(u => u.Text), second.Select(u => u.Text));
        Assert.Equal(ChatFinishReason.Stop, second[2].FinishReason);
        Assert.IsType<UsageContent>(Assert.Single(second[2].Contents));
    }

    [Fact]
    public async Task StreamingCoalescesIntoOneResponseWhenAskedAsync()
    {
        var calls = 0;
        ChatResponseUpdate[] updates = [new(ChatRole.Assistant, "Hel") { MessageId = "m1" }, new(null, "lo") { MessageId = "m1" }];
        using var inner = new TestChatClient
        {
            GetStreamingResponseAsyncCallback = (_, _, ct) => { calls++; return TestChatClient.Yield(updates, ct); },
            GetResponseAsyncCallback = (_, _, _) => { calls++; return Task.FromResult(Answer("never")); },
        };
        using var outer = Outer(inner, o => o.CoalesceStreamingUpdates = true);
        var ct = TestContext.Current.CancellationToken;

        await outer.GetStreamingResponseAsync("some input", cancellationToken: ct).ToListAsync(ct);
        var replay = await outer.GetStreamingResponseAsync("some input", cancellationToken: ct).ToListAsync(ct);
        var asResponse = await outer.GetResponseAsync("some input", cancellationToken: ct);

        Assert.Equal(1, calls);
        Assert.Equal("Hello", string.Concat(replay.Select(u => u.Text)));
        Assert.Equal("Hello", asResponse.Text);
    }

    [Fact]
    public async Task DoesNotCacheExceptionResultsAsync()
    {
        var calls = 0;
        using var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => ++calls == 1 ? throw new InvalidTimeZoneException("some failure") : Task.FromResult(Answer("Recovered")),
        };
        using var outer = Outer(inner);
        var ct = TestContext.Current.CancellationToken;

        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => outer.GetResponseAsync("some input", cancellationToken: ct));
        var second = await outer.GetResponseAsync("some input", cancellationToken: ct);

        Assert.Equal(2, calls);
        Assert.Equal("Recovered", second.Text);
    }

    [Fact]
    public async Task DoesNotCacheCanceledResultsAsync()
    {
        var calls = 0;
        var resolve = new TaskCompletionSource<ChatResponse>();
        using var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => ++calls == 1 ? resolve.Task : Task.FromResult(Answer("Fresh")),
        };
        using var outer = Outer(inner);

        var first = outer.GetResponseAsync("some input", cancellationToken: TestContext.Current.CancellationToken);
        resolve.SetCanceled(TestContext.Current.CancellationToken);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        var second = await outer.GetResponseAsync("some input", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, calls);
        Assert.Equal("Fresh", second.Text);
    }

    [Fact]
    public async Task DoesNotCacheCanceledStreamingResultsAsync()
    {
        var calls = 0;
        using var inner = new TestChatClient
        {
            GetStreamingResponseAsyncCallback = (_, _, ct) => ++calls == 1 ? FailingStream(ct) : TestChatClient.Yield([new ChatResponseUpdate(ChatRole.Assistant, "Fresh")], ct),
        };
        using var outer = Outer(inner);
        var ct = TestContext.Current.CancellationToken;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await outer.GetStreamingResponseAsync("some input", cancellationToken: ct).ToListAsync(ct));
        var second = await outer.GetStreamingResponseAsync("some input", cancellationToken: ct).ToListAsync(ct);

        Assert.Equal(2, calls);
        Assert.Equal("Fresh", Assert.Single(second).Text);

        static async IAsyncEnumerable<ChatResponseUpdate> FailingStream([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, "partial");
            await Task.Yield();
            throw new OperationCanceledException(ct);
        }
    }

    [Fact]
    public async Task CoalescesConcurrentCallsAsync()
    {
        var calls = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var inner = new TestChatClient
        {
            GetResponseAsyncCallback = async (_, _, _) => { Interlocked.Increment(ref calls); await release.Task; return Answer("Hello"); },
        };
        using var outer = Outer(inner);
        var ct = TestContext.Current.CancellationToken;

        var first = outer.GetResponseAsync("some input", cancellationToken: ct);
        var second = outer.GetResponseAsync("some input", cancellationToken: ct);
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);
        release.SetResult();
        var answers = await Task.WhenAll(first, second);
        var third = await outer.GetResponseAsync("some input", cancellationToken: ct);

        Assert.Equal(1, calls);
        Assert.All(answers.Append(third), a => Assert.Equal("Hello", a.Text));
    }

    [Fact]
    public async Task ConcurrentCallsEachCallWhenCoalescingIsOffAsync()
    {
        var calls = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var inner = new TestChatClient
        {
            GetResponseAsyncCallback = async (_, _, _) => { Interlocked.Increment(ref calls); await release.Task; return Answer("Hello"); },
        };
        using var outer = Outer(inner, o => o.CoalesceConcurrentCalls = false);
        var ct = TestContext.Current.CancellationToken;

        var first = outer.GetResponseAsync("some input", cancellationToken: ct);
        var second = outer.GetResponseAsync("some input", cancellationToken: ct);
        release.SetResult();
        await Task.WhenAll(first, second);
        await outer.GetResponseAsync("some input", cancellationToken: ct);

        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task CacheKeyVariesByChatOptionsAsync()
    {
        var calls = 0;
        using var inner = new TestChatClient { GetResponseAsyncCallback = (_, o, _) => { calls++; return Task.FromResult(Answer("t" + o?.Temperature)); } };
        using var outer = Outer(inner);
        var ct = TestContext.Current.CancellationToken;

        await outer.GetResponseAsync("some input", new ChatOptions { Temperature = 0.1f }, ct);
        await outer.GetResponseAsync("some input", new ChatOptions { Temperature = 0.1f }, ct);
        await outer.GetResponseAsync("some input", new ChatOptions { Temperature = 0.2f }, ct);
        await outer.GetResponseAsync("some input", new ChatOptions { Temperature = 0.1f, ModelId = "claude-haiku-4-5" }, ct);
        await outer.GetResponseAsync("some input", new ChatOptions { Temperature = 0.1f, Instructions = "Be terse." }, ct);
        await outer.GetResponseAsync("some input", new ChatOptions { Temperature = 0.1f, ResponseFormat = ChatResponseFormat.Json }, ct);
        await outer.GetResponseAsync("some input", new ChatOptions { Temperature = 0.1f, ToolMode = ChatToolMode.RequireAny }, ct);

        Assert.Equal(6, calls);
    }

    [Fact]
    public async Task CacheKeyVariesByAdditionalValuesAsync()
    {
        var calls = 0;
        using var inner = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => { calls++; return Task.FromResult(Answer("Hello")); } };
        using var outerA = Outer(inner, o => o.CacheKeyAdditionalValues = ["prompt-v1"]);
        using var outerB = Outer(inner, o => o.CacheKeyAdditionalValues = ["prompt-v2"]);
        var ct = TestContext.Current.CancellationToken;

        await outerA.GetResponseAsync("some input", cancellationToken: ct);
        await outerA.GetResponseAsync("some input", cancellationToken: ct);
        await outerB.GetResponseAsync("some input", cancellationToken: ct);
        await outerA.GetResponseAsync("some input", new ChatOptions { AdditionalProperties = new() { ["a"] = 1, ["b"] = "x" } }, ct);
        await outerA.GetResponseAsync("some input", new ChatOptions { AdditionalProperties = new() { ["b"] = "x", ["a"] = 1 } }, ct);
        await outerA.GetResponseAsync("some input", new ChatOptions { AdditionalProperties = new() { ["a"] = 2, ["b"] = "x" } }, ct);

        Assert.Equal(4, calls);
    }

    [Fact]
    public async Task CacheKeyVariesByToolsAsync()
    {
        var calls = 0;
        using var inner = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => { calls++; return Task.FromResult(Answer("Hello")); } };
        using var outer = Outer(inner);
        var ct = TestContext.Current.CancellationToken;
        var byAddress = AIFunctionFactory.Create(([Description("Street address")] string address) => "", "get_comparables", "Comparable sales nearby");
        var byPostcode = AIFunctionFactory.Create((string postcode) => "", "get_comparables", "Comparable sales nearby");
        var otherDescription = AIFunctionFactory.Create(([Description("Street address")] string address) => "", "get_comparables", "Recent sales");
        var otherName = AIFunctionFactory.Create(([Description("Street address")] string address) => "", "get_listings", "Comparable sales nearby");

        await outer.GetResponseAsync("some input", new ChatOptions { Tools = [byAddress] }, ct);
        await outer.GetResponseAsync("some input", new ChatOptions { Tools = [byAddress] }, ct);
        await outer.GetResponseAsync("some input", new ChatOptions { Tools = [byPostcode] }, ct);
        await outer.GetResponseAsync("some input", new ChatOptions { Tools = [otherDescription] }, ct);
        await outer.GetResponseAsync("some input", new ChatOptions { Tools = [otherName] }, ct);
        await outer.GetResponseAsync("some input", new ChatOptions { Tools = [byAddress, otherName] }, ct);
        await outer.GetResponseAsync("some input", new ChatOptions(), ct);

        Assert.Equal(6, calls);
    }

    [Fact]
    public async Task CacheKeyVariesByMessages_NotByStreamingAsync()
    {
        var calls = 0;
        using var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => { calls++; return Task.FromResult(Answer("Hello")); },
            GetStreamingResponseAsyncCallback = (_, _, ct) => { calls++; return TestChatClient.Yield([new ChatResponseUpdate(ChatRole.Assistant, "Hello")], ct); },
        };
        using var outer = Outer(inner);
        var ct = TestContext.Current.CancellationToken;

        await outer.GetResponseAsync("some input", cancellationToken: ct);
        await outer.GetResponseAsync("other input", cancellationToken: ct);
        await outer.GetResponseAsync([new ChatMessage(ChatRole.System, "Be terse."), new ChatMessage(ChatRole.User, "some input")], cancellationToken: ct);
        var streamed = await outer.GetStreamingResponseAsync("some input", cancellationToken: ct).ToListAsync(ct);
        await outer.GetStreamingResponseAsync("other input", cancellationToken: ct).ToListAsync(ct);

        // One answer serves both forms: the streamed call of "some input" is the non-streamed one's hit.
        Assert.Equal(3, calls);
        Assert.Equal("Hello", string.Concat(streamed.Select(u => u.Text)));
    }

    [Fact]
    public async Task RawRepresentationFactory_IsNeverCachedAsync()
    {
        var calls = 0;
        using var inner = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => { calls++; return Task.FromResult(Answer("Hello")); } };
        using var outer = Outer(inner);
        var options = new ChatOptions { RawRepresentationFactory = _ => null };

        await outer.GetResponseAsync("some input", options, TestContext.Current.CancellationToken);
        await outer.GetResponseAsync("some input", options, TestContext.Current.CancellationToken);

        Assert.Equal(2, calls);
    }
}
