using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using ClaudeCache.Testing;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>The handler and the proxy make the same keys and entries: one SQLite file serves both.</summary>
public sealed class SharedStoreTests
{
    private const string ApiKey = "sk-ant-shared-store";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EntryWrittenThroughTheProxy_IsAHitThroughTheHandler(bool stream)
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var database = TempFiles.NewDatabasePath();
        var clock = TestEngine.NewClock();
        var parameters = HandlerTests.Params("Written by the proxy");

        await using (var proxy = await TestProxy.StartAsync(upstream, database, clock))
        {
            using var viaProxy = proxy.Sdk(ApiKey);
            await CallAsync(viaProxy, parameters, stream);
            await StoredAsync(proxy.Cache);
        }

        Assert.Equal(1, upstream.MessagesCalls);
        await using var handler = await TestEngine.StartAsync(upstream, database, clock);
        using var viaHandler = handler.Sdk(ApiKey);
        await CallAsync(viaHandler, parameters, stream);
        await CallAsync(viaHandler, parameters, !stream);

        Assert.Equal(1, upstream.MessagesCalls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EntryWrittenThroughTheHandler_IsAHitThroughTheProxy(bool stream)
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var database = TempFiles.NewDatabasePath();
        var clock = TestEngine.NewClock();
        var parameters = HandlerTests.Params("Written by the handler");

        await using (var handler = await TestEngine.StartAsync(upstream, database, clock))
        {
            using var viaHandler = handler.Sdk(ApiKey);
            await CallAsync(viaHandler, parameters, stream);
            await StoredAsync(handler.Cache);
        }

        Assert.Equal(1, upstream.MessagesCalls);
        await using var proxy = await TestProxy.StartAsync(upstream, database, clock);
        using var viaProxy = proxy.Sdk(ApiKey);
        await CallAsync(viaProxy, parameters, stream);
        await CallAsync(viaProxy, parameters, !stream);

        Assert.Equal(1, upstream.MessagesCalls);
    }

    /// <summary>
    /// A streaming caller can finish reading (at <c>message_stop</c>) just before the flight judges and stores the
    /// answer: wait until it is in the memory tier, then until its second-tier write is done.
    /// </summary>
    private static async Task StoredAsync(global::ClaudeCache.Caching.ResponseCache cache)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (cache.Memory.Count == 0)
        {
            await Task.Delay(5, timeout.Token);
        }

        await cache.FlushAsync(timeout.Token);
    }

    private static async Task CallAsync(global::Anthropic.AnthropicClient client, global::Anthropic.Models.Messages.MessageCreateParams parameters, bool stream)
    {
        if (stream)
        {
            Assert.Contains("message_stop", await HandlerTests.CollectAsync(client, parameters), StringComparison.Ordinal);
        }
        else
        {
            var message = await client.Messages.Create(parameters, TestContext.Current.CancellationToken);
            Assert.NotEmpty(message.Content);
        }
    }
}
