namespace ClaudeCache.Entries;

/// <summary>Which endpoint a stored response answers.</summary>
public enum ResponseKind : byte
{
    /// <summary><c>POST /v1/messages</c>: a Message, and the raw SSE bytes when it came from a stream.</summary>
    Message = 1,

    /// <summary><c>POST /v1/messages/count_tokens</c>: the JSON body as the upstream sent it.</summary>
    CountTokens = 2,

    /// <summary>
    /// A Microsoft.Extensions.AI <c>ChatResponse</c>, stored by the <c>IChatClient</c> middleware as JSON
    /// (its own key space: never served to an HTTP caller).
    /// </summary>
    ChatResponse = 3,

    /// <summary>The <c>ChatResponseUpdate</c> list of a streamed chat response, as JSON, in the order received.</summary>
    ChatResponseUpdates = 4,
}
