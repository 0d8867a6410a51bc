namespace ClaudeCache.Testing;

/// <summary>
/// What the fake upstream answers to one <c>POST /v1/messages</c>. The same reply is written as JSON or as SSE,
/// depending on the request's <c>"stream": true</c>.
/// </summary>
public sealed record FakeReply
{
    /// <summary>The dated snapshot id the real API resolves aliases to.</summary>
    public const string DefaultModel = "claude-sonnet-4-5-20250929";

    /// <summary>Response <c>model</c>.</summary>
    public string Model { get; init; } = DefaultModel;

    /// <summary>Content blocks in index order.</summary>
    public IReadOnlyList<FakeBlock> Content { get; init; } = [];

    /// <summary><c>end_turn</c>, <c>tool_use</c>, <c>pause_turn</c>, <c>max_tokens</c>, <c>stop_sequence</c>, …</summary>
    public string StopReason { get; init; } = "end_turn";

    /// <summary>The matched stop sequence (null unless <see cref="StopReason"/> is <c>stop_sequence</c>).</summary>
    public string? StopSequence { get; init; }

    /// <summary>The usage the reply reports (25 input and 10 output tokens unless set).</summary>
    public FakeUsage Usage { get; init; } = new(InputTokens: 25, OutputTokens: 10);

    /// <summary>Delay before the response headers are sent.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Delay between SSE events.</summary>
    public TimeSpan EventInterval { get; init; }

    /// <summary>
    /// Pings: <c>null</c> sends none; <c>0</c> (default, like the real API) one right after <c>message_start</c>;
    /// N &gt; 0 one after <c>message_start</c> and then one after every N further events.
    /// </summary>
    public int? PingEvery { get; init; } = 0;

    /// <summary>Pad most SSE <c>data:</c> lines with spaces before the final <c>}</c>, as the real API does.</summary>
    public bool PadEvents { get; init; } = true;

    /// <summary>Characters per <c>text_delta</c>, <c>thinking_delta</c> and <c>input_json_delta</c> chunk.</summary>
    public int TextChunkSize { get; init; } = 20;

    /// <summary>When set, the fake answers with this error instead of a message.</summary>
    public FakeError? Error { get; init; }

    /// <summary>After this many SSE events (pings included) send <c>event: error</c> (overloaded) and end the stream.</summary>
    public int? MidStreamErrorAfterEvents { get; init; }

    /// <summary>After this many SSE events (pings included) abort the connection (<c>HttpContext.Abort()</c>).</summary>
    public int? AbruptCloseAfterEvents { get; init; }

    /// <summary>The message id (<c>msg_…</c>); random by default.</summary>
    public string MessageId { get; init; } = FakeIds.NewMessageId();

    /// <summary>A one-text-block reply; output tokens ≈ text length / 4 unless <paramref name="usage"/> is given.</summary>
    public static FakeReply TextReply(string text, string model = DefaultModel, string stopReason = "end_turn", FakeUsage? usage = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new FakeReply
        {
            Model = model,
            Content = [FakeBlock.Text(text)],
            StopReason = stopReason,
            Usage = usage ?? new FakeUsage(InputTokens: 25, OutputTokens: Tokens(text.Length)),
        };
    }

    /// <summary>An optional text block followed by one tool_use block; <c>stop_reason: tool_use</c>.</summary>
    public static FakeReply ToolUseReply(
        string toolName,
        string inputJson,
        string? leadingText = null,
        string? toolUseId = null,
        string model = DefaultModel,
        FakeUsage? usage = null)
    {
        var blocks = new List<FakeBlock>();
        if (leadingText is not null)
        {
            blocks.Add(FakeBlock.Text(leadingText));
        }

        blocks.Add(FakeBlock.ToolUse(toolUseId ?? FakeIds.NewToolUseId(), toolName, inputJson));
        int chars = (leadingText?.Length ?? 0) + inputJson.Length + toolName.Length;
        return new FakeReply
        {
            Model = model,
            Content = blocks,
            StopReason = "tool_use",
            Usage = usage ?? new FakeUsage(InputTokens: 25, OutputTokens: Tokens(chars)),
        };
    }

    /// <summary>A thinking block (with signature) followed by a text block.</summary>
    public static FakeReply ThinkingReply(
        string thinking,
        string text,
        string? signature = null,
        string model = DefaultModel,
        FakeUsage? usage = null)
    {
        ArgumentNullException.ThrowIfNull(thinking);
        ArgumentNullException.ThrowIfNull(text);
        return new FakeReply
        {
            Model = model,
            Content = [FakeBlock.Thinking(thinking, signature ?? DefaultSignature), FakeBlock.Text(text)],
            Usage = usage ?? new FakeUsage(InputTokens: 25, OutputTokens: Tokens(thinking.Length + text.Length)),
        };
    }

    /// <summary>An error reply (see docs/anthropic-wire.md §6 for status and type pairs).</summary>
    public static FakeReply ErrorReply(int status, string type, string message, int? retryAfterSeconds = null, bool? shouldRetry = null) =>
        new()
        {
            Error = new FakeError(status, type, message) { RetryAfterSeconds = retryAfterSeconds, ShouldRetry = shouldRetry },
        };

    /// <summary>529 <c>overloaded_error</c>, as the real API sends under load.</summary>
    public static FakeReply Overloaded(int? retryAfterSeconds = null, bool? shouldRetry = null) =>
        ErrorReply(529, "overloaded_error", "Overloaded", retryAfterSeconds, shouldRetry);

    /// <summary>429 <c>rate_limit_error</c>.</summary>
    public static FakeReply RateLimited(int retryAfterSeconds = 1, bool? shouldRetry = null) =>
        ErrorReply(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", retryAfterSeconds, shouldRetry);

    internal const string DefaultSignature =
        "EqQBCkYIBRgCKkBfSxZ6cT0ZzZpW3b7bWmvB4Rj8eCzKQmG9xM1u4jQv2PzJk9uR8nLw3sXy0aH5tD7fE6gI2oN1qV0lMcUAEgxk3Jb9Ym2vTq8RfHsaDFk2eXyW1tGz";

    private static int Tokens(int chars) => Math.Max(1, chars / 4);
}
