namespace ClaudeCache.Anthropic;

/// <summary>The event names of a Messages stream (docs/anthropic-wire.md §5). The parser hands out these very instances.</summary>
public static class SseEventNames
{
    /// <summary>The Message with empty content and the final input usage.</summary>
    public const string MessageStart = "message_start";

    /// <summary>An empty (or, for some block types, complete) content block.</summary>
    public const string ContentBlockStart = "content_block_start";

    /// <summary>A text, thinking, input-JSON, signature or citation delta.</summary>
    public const string ContentBlockDelta = "content_block_delta";

    /// <summary>The end of a content block.</summary>
    public const string ContentBlockStop = "content_block_stop";

    /// <summary>Stop fields and cumulative usage.</summary>
    public const string MessageDelta = "message_delta";

    /// <summary>The last event of a complete stream.</summary>
    public const string MessageStop = "message_stop";

    /// <summary>Keep-alive; may appear anywhere after the start.</summary>
    public const string Ping = "ping";

    /// <summary>A mid-stream failure; the connection closes after it.</summary>
    public const string Error = "error";

    /// <summary>
    /// Maps the bytes of an <c>event:</c> value to a shared string, so the hot path allocates no name strings
    /// for the events Anthropic sends.
    /// </summary>
    public static string FromUtf8(ReadOnlySpan<byte> value) => value.Length switch
    {
        0 => "",
        4 when value.SequenceEqual("ping"u8) => Ping,
        5 when value.SequenceEqual("error"u8) => Error,
        12 when value.SequenceEqual("message_stop"u8) => MessageStop,
        13 when value.SequenceEqual("message_start"u8) => MessageStart,
        13 when value.SequenceEqual("message_delta"u8) => MessageDelta,
        18 when value.SequenceEqual("content_block_stop"u8) => ContentBlockStop,
        19 when value.SequenceEqual("content_block_start"u8) => ContentBlockStart,
        19 when value.SequenceEqual("content_block_delta"u8) => ContentBlockDelta,
        _ => System.Text.Encoding.UTF8.GetString(value),
    };
}
