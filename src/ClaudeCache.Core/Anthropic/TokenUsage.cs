namespace ClaudeCache.Anthropic;

/// <summary>A Message's <c>usage</c>, as the cost ledger needs it. Missing counters are 0.</summary>
/// <param name="InputTokens">Uncached input tokens.</param>
/// <param name="OutputTokens">Generated tokens.</param>
/// <param name="CacheCreationInputTokens">Input tokens written to Anthropic's prompt cache.</param>
/// <param name="CacheReadInputTokens">Input tokens read from Anthropic's prompt cache.</param>
/// <param name="CacheCreation5m">Of the cache writes, those with the 5-minute TTL.</param>
/// <param name="CacheCreation1h">Of the cache writes, those with the 1-hour TTL.</param>
/// <param name="ServiceTier">The tier that served the request (<c>standard</c>, <c>priority</c>, <c>batch</c>), or null.</param>
public readonly record struct TokenUsage(
    long InputTokens,
    long OutputTokens,
    long CacheCreationInputTokens,
    long CacheReadInputTokens,
    long CacheCreation5m,
    long CacheCreation1h,
    string? ServiceTier)
{
    /// <summary>All input tokens: uncached + cache writes + cache reads (docs/anthropic-wire.md §4).</summary>
    public long TotalInputTokens => InputTokens + CacheCreationInputTokens + CacheReadInputTokens;
}
