namespace ClaudeCache;

/// <summary>The request headers the engine reads: credentials (hashed, never kept), API versions, and its own controls.</summary>
/// <param name="ApiKey"><c>x-api-key</c>.</param>
/// <param name="Authorization"><c>Authorization</c> (a Bearer token).</param>
/// <param name="AnthropicVersion"><c>anthropic-version</c>.</param>
/// <param name="AnthropicBeta"><c>anthropic-beta</c>, several values joined with commas.</param>
/// <param name="Strategy"><c>x-cache-strategy</c>.</param>
/// <param name="Context"><c>x-cache-context</c>.</param>
/// <param name="CacheControl"><c>Cache-Control</c>.</param>
/// <param name="Namespace"><c>x-cache-namespace</c>.</param>
public readonly record struct RequestHeaders(
    string? ApiKey,
    string? Authorization,
    string? AnthropicVersion,
    string? AnthropicBeta,
    string? Strategy,
    string? Context,
    string? CacheControl,
    string? Namespace)
{
    /// <summary><c>x-cache-prompt-breakpoints</c>: <c>auto</c>, <c>off</c>, or null for the configured default.</summary>
    public string? PromptBreakpoints { get; init; }

    /// <summary>
    /// <c>x-cache-tags</c>: tags for the entry this request stores (see <see cref="Caching.CacheTags"/>); not part of the key.
    /// </summary>
    public string? Tags { get; init; }
}
