using System.Net;
using System.Text;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Anthropic.Models.Models;

namespace ClaudeCache.Testing.Tests;

/// <summary>The official C# SDK (13.14.0) pointed at the fake: it must parse everything the fake sends.</summary>
public sealed class SdkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_ParsesTheMessage()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = _ => FakeReply.TextReply("Cap rate is NOI divided by price.", usage: new FakeUsage(40, 9, CacheRead: 30));
        using var client = Client(fake);

        var message = await client.Messages.Create(Params("Explain what a cap rate is"), Ct);

        Assert.Equal("claude-sonnet-4-5-20250929", message.Model.Raw());
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("Cap rate is NOI divided by price.", text.Text);
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.Equal(40, message.Usage.InputTokens);
        Assert.Equal(30, message.Usage.CacheReadInputTokens);
        Assert.Equal(9, message.Usage.OutputTokens);
        var request = Assert.Single(fake.Received);
        Assert.Equal("/v1/messages", request.Path);
        // 13.14.0 sends the API key as a bearer token, and its own anthropic-version (see SDK-USAGE.md).
        Assert.Equal("Bearer sk-ant-test", request.Header("authorization"));
        Assert.Null(request.Header("x-api-key"));
        Assert.NotNull(request.Header("anthropic-version"));
    }

    [Fact]
    public async Task CreateStreaming_Text_Accumulates()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        using var client = Client(fake);

        var (text, stop, outputTokens, _) = await StreamAsync(client, "Please analyse 5 Elm Court");

        string expected = DefaultResponder.TextFor("Please analyse 5 Elm Court");
        Assert.Equal(expected, text.ToString());
        Assert.Equal(StopReason.EndTurn, stop);
        Assert.Equal(Math.Max(1, expected.Length / 4), outputTokens);
    }

    [Fact]
    public async Task CreateStreaming_ToolUse_JsonDeltasConcatenateToTheInput()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = _ => FakeReply.ToolUseReply("get_comps", """{"zip":"78704","radius_miles":0.5}""", leadingText: "Let me look.", toolUseId: "toolu_01X") with { TextChunkSize = 7 };
        using var client = Client(fake);

        var (text, stop, _, events) = await StreamAsync(client, "comps?");

        Assert.Equal("Let me look.", text.ToString());
        Assert.Equal(StopReason.ToolUse, stop);
        var start = events.Select(e => e.TryPickContentBlockStart(out var s) ? s : null).OfType<RawContentBlockStartEvent>().Last();
        Assert.True(start.ContentBlock.TryPickToolUse(out var tool));
        Assert.Equal("toolu_01X", tool.ID);
        Assert.Equal("get_comps", tool.Name);
        string json = string.Concat(events
            .Select(e => e.TryPickContentBlockDelta(out var d) && d.Delta.TryPickInputJson(out var j) ? j.PartialJson : null)
            .OfType<string>());
        Assert.Equal("""{"zip":"78704","radius_miles":0.5}""", json);
    }

    [Fact]
    public async Task CreateStreaming_Thinking_HasThinkingDeltasAndOneSignature()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = _ => FakeReply.ThinkingReply("Comparables first, then rent.", "Fairly priced.", signature: "sig-123");
        using var client = Client(fake);

        var (text, _, _, events) = await StreamAsync(client, "fair price?");

        var deltas = events.Select(e => e.TryPickContentBlockDelta(out var d) ? d.Delta : null).OfType<RawContentBlockDelta>().ToList();
        Assert.Equal("Comparables first, then rent.", string.Concat(deltas.Select(d => d.TryPickThinking(out var t) ? t.Thinking : null)));
        Assert.Equal("sig-123", Assert.Single(deltas, d => d.TryPickSignature(out _)).Json.GetProperty("signature").GetString());
        Assert.Equal("Fairly priced.", text.ToString());
    }

    [Fact]
    public async Task Errors_SurfaceAsTypedExceptions_WithTheRequestId()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = _ => FakeReply.RateLimited(retryAfterSeconds: 1, shouldRetry: true);
        using var client = Client(fake);

        var ex = await Assert.ThrowsAsync<AnthropicRateLimitException>(() => client.Messages.Create(Params("x"), Ct));

        Assert.Equal(HttpStatusCode.TooManyRequests, ex.StatusCode);
        Assert.StartsWith("req_011C", ex.RequestID, StringComparison.Ordinal);
        Assert.Equal(1, fake.MessagesCalls);
    }

    [Fact]
    public async Task Errors_AreRetriedBySdk_WhenRetriesAreOn()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        int calls = 0;
        fake.Responder = r => Interlocked.Increment(ref calls) == 1
            ? FakeReply.ErrorReply(500, "api_error", "Internal server error", retryAfterSeconds: 0)
            : DefaultResponder.Reply(r);
        using var client = Client(fake, maxRetries: 1);

        var message = await client.Messages.Create(Params("retry me"), Ct);

        Assert.Equal(2, fake.MessagesCalls);
        Assert.True(message.Content[0].TryPickText(out _));
    }

    [Fact]
    public async Task ShouldRetryFalse_StopsSdkRetries()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = _ => FakeReply.Overloaded(retryAfterSeconds: 0, shouldRetry: false);
        using var client = Client(fake, maxRetries: 2);

        await Assert.ThrowsAsync<AnthropicOverloadedException>(() => client.Messages.Create(Params("x"), Ct));

        Assert.Equal(1, fake.MessagesCalls);
    }

    [Fact]
    public async Task BaseUrl_WithTrailingSlash_HitsTheSamePath()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        using var client = new AnthropicClient { ApiKey = "k", BaseUrl = fake.BaseAddress.ToString(), MaxRetries = 0 };

        await client.Messages.Create(Params("x"), Ct);

        Assert.Equal("/v1/messages", fake.Received[0].Path);
    }

    [Fact]
    public async Task MidStreamError_ThrowsFromTheStream()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = r => DefaultResponder.Reply(r) with { MidStreamErrorAfterEvents = 3 };
        using var client = Client(fake);

        var ex = await Assert.ThrowsAsync<AnthropicSseException>(() => StreamAsync(client, "x"));
        Assert.Contains("overloaded_error", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AbruptClose_ThrowsFromTheStream()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = r => DefaultResponder.Reply(r) with { AbruptCloseAfterEvents = 3 };
        using var client = Client(fake);

        await Assert.ThrowsAnyAsync<IOException>(() => StreamAsync(client, "x"));
    }

    [Fact]
    public async Task CountTokens_AndModels_Parse()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        using var client = Client(fake);

        var count = await client.Messages.CountTokens(
            new MessageCountTokensParams { Model = "claude-sonnet-4-5", Messages = [new UserMessageParam("How long is this?")] },
            Ct);
        var page = await client.Models.List(new ModelListParams { Limit = 3 }, Ct);
        var model = await client.Models.Retrieve("claude-haiku-4-5", new ModelRetrieveParams(), Ct);

        Assert.True(count.InputTokens >= 1);
        Assert.Equal(FakeAnthropicUpstream.CountTokens(fake.Received[0].Body), count.InputTokens);
        Assert.Equal(3, page.Items.Count);
        Assert.True(page.HasNext());
        Assert.Equal("Claude Haiku 4.5", model.DisplayName);
        Assert.Equal("claude-haiku-4-5-20251001", model.ID);
    }

    private static AnthropicClient Client(FakeAnthropicUpstream fake, int maxRetries = 0) => new()
    {
        ApiKey = "sk-ant-test",
        BaseUrl = fake.BaseAddress.ToString().TrimEnd('/'),
        MaxRetries = maxRetries,
    };

    private static MessageCreateParams Params(string userText) => new()
    {
        Model = "claude-sonnet-4-5",
        MaxTokens = 1024,
        Messages = [new UserMessageParam(userText)],
    };

    private static async Task<(StringBuilder Text, StopReason? Stop, long OutputTokens, List<RawMessageStreamEvent> Events)> StreamAsync(AnthropicClient client, string userText)
    {
        var text = new StringBuilder();
        StopReason? stop = null;
        long outputTokens = 0;
        var events = new List<RawMessageStreamEvent>();
        await foreach (var ev in client.Messages.CreateStreaming(Params(userText), Ct))
        {
            events.Add(ev);
            if (ev.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var t))
            {
                text.Append(t.Text);
            }
            else if (ev.TryPickDelta(out var messageDelta))
            {
                stop = messageDelta.Delta.StopReason?.Value();
                outputTokens = messageDelta.Usage.OutputTokens;
            }
        }

        Assert.True(events[0].TryPickStart(out _));
        Assert.True(events[^1].TryPickStop(out _));
        return (text, stop, outputTokens, events);
    }
}
