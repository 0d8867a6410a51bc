namespace ClaudeCache.Anthropic;

/// <summary>Which endpoint a Messages-shaped request body is for; they differ in required fields.</summary>
public enum RequestEndpoint
{
    /// <summary><c>POST /v1/messages</c>: <c>max_tokens</c> is required.</summary>
    Messages,

    /// <summary><c>POST /v1/messages/count_tokens</c>: no <c>max_tokens</c>.</summary>
    CountTokens,
}
