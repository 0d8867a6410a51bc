using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using Microsoft.Extensions.AI;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>The official SDK's <c>AsIChatClient(...)</c> with <c>UseClaudeCache()</c>, against the fake upstream.</summary>
public sealed class AnthropicChatClientTests
{
    private static IChatClient ChatClient(TestEngine test, out IDisposable sdk)
    {
        var client = new global::Anthropic.AnthropicClient { ApiKey = "sk-ant-chat", BaseUrl = test.Upstream.BaseAddress.ToString(), MaxRetries = 0 };
        sdk = client;
        return client.AsIChatClient("claude-sonnet-4-5", 256).AsBuilder().UseClaudeCache(test.Engine).Build();
    }

    [Fact]
    public async Task NonStreaming_SecondIdenticalCall_IsNotSentUpstream()
    {
        await using var test = await TestEngine.StartAsync();
        using var chat = ChatClient(test, out var sdk);
        using var _ = sdk;
        var ct = TestContext.Current.CancellationToken;

        var first = await chat.GetResponseAsync("Analyse 12 Oak Street", cancellationToken: ct);
        var second = await chat.GetResponseAsync("Analyse 12 Oak Street", cancellationToken: ct);

        Assert.Equal(1, test.Upstream.MessagesCalls);
        Assert.Equal(first.Text, second.Text);
        Assert.StartsWith("Analysis of", second.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_SecondIdenticalCall_IsNotSentUpstream_AndReplaysTheSameUpdates()
    {
        await using var test = await TestEngine.StartAsync();
        using var chat = ChatClient(test, out var sdk);
        using var _ = sdk;
        var ct = TestContext.Current.CancellationToken;

        var first = await chat.GetStreamingResponseAsync("Stream an analysis", cancellationToken: ct).ToListAsync(ct);
        var second = await chat.GetStreamingResponseAsync("Stream an analysis", cancellationToken: ct).ToListAsync(ct);

        Assert.Equal(1, test.Upstream.MessagesCalls);
        Assert.Equal(first.Count, second.Count);
        Assert.True(first.Count > 2);
        Assert.Equal(first.Select(u => u.Text), second.Select(u => u.Text));
    }

    [Fact]
    public async Task DifferentToolsOrOptions_AreMisses()
    {
        await using var test = await TestEngine.StartAsync();
        using var chat = ChatClient(test, out var sdk);
        using var _ = sdk;
        var ct = TestContext.Current.CancellationToken;
        var comparables = AIFunctionFactory.Create((string address) => "3 sales", "get_comparables", "Comparable sales nearby");
        var listings = AIFunctionFactory.Create((string address) => "2 listings", "get_listings", "Active listings nearby");

        await chat.GetResponseAsync("Same prompt", new ChatOptions { Tools = [comparables] }, ct);
        await chat.GetResponseAsync("Same prompt", new ChatOptions { Tools = [comparables] }, ct);
        await chat.GetResponseAsync("Same prompt", new ChatOptions { Tools = [listings] }, ct);
        await chat.GetResponseAsync("Same prompt", new ChatOptions { Tools = [listings], Temperature = 0.3f }, ct);
        await chat.GetStreamingResponseAsync("Same prompt", new ChatOptions { Tools = [listings], Temperature = 0.3f }, ct).ToListAsync(ct);
        await chat.GetStreamingResponseAsync("Same prompt", new ChatOptions { Tools = [listings], Temperature = 0.3f }, ct).ToListAsync(ct);
        await chat.GetStreamingResponseAsync("Same prompt", new ChatOptions { Tools = [comparables], Temperature = 0.3f }, ct).ToListAsync(ct);

        // The first stream is the non-streamed call's hit (one answer serves both forms); the other two options differ.
        Assert.Equal(4, test.Upstream.MessagesCalls);
    }
}
