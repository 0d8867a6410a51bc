namespace ClaudeCache.Costs;

/// <summary>
/// Higher rates for long prompts: when a request's prompt (uncached input + cache writes + cache reads) exceeds
/// <see cref="AboveTokens"/>, every token of the request, output included, is billed at <see cref="Rates"/>.
/// </summary>
/// <param name="AboveTokens">The largest prompt still billed at the standard rates.</param>
/// <param name="Rates">The rates for longer prompts.</param>
public sealed record LongPromptTier(long AboveTokens, TokenRates Rates);
