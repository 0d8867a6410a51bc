using ClaudeCache.Anthropic;

namespace ClaudeCache.Pipeline;

/// <summary>
/// Everything besides the body bytes that goes into a prepared request: the route, the tenant partition (a keyed hash,
/// never the credential), the API version and betas, and the cache's own control headers. Two requests with equal
/// facts and equal bytes always prepare to the same key and policy.
/// </summary>
internal readonly record struct MemoFacts(
    string Path,
    RequestEndpoint Endpoint,
    string Partition,
    string? AnthropicVersion,
    string? AnthropicBeta,
    string? Strategy,
    string? Context,
    string? CacheControl,
    string? Namespace,
    string? PromptBreakpoints);
