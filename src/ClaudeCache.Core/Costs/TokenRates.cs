namespace ClaudeCache.Costs;

/// <summary>USD per million tokens for each token class Anthropic bills separately.</summary>
/// <param name="Input">Uncached input tokens.</param>
/// <param name="CacheWrite5m">Input tokens written to the prompt cache with the 5-minute TTL.</param>
/// <param name="CacheWrite1h">Input tokens written to the prompt cache with the 1-hour TTL.</param>
/// <param name="CacheRead">Input tokens read from the prompt cache.</param>
/// <param name="Output">Generated tokens.</param>
public readonly record struct TokenRates(decimal Input, decimal CacheWrite5m, decimal CacheWrite1h, decimal CacheRead, decimal Output);
