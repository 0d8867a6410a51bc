namespace ClaudeCache.Testing;

/// <summary>Token usage reported by a scripted reply (docs/anthropic-wire.md §4).</summary>
public sealed record FakeUsage(
    int InputTokens,
    int OutputTokens,
    int CacheCreation5m = 0,
    int CacheCreation1h = 0,
    int CacheRead = 0,
    string ServiceTier = "standard",
    string InferenceGeo = "not_available")
{
    /// <summary><c>cache_creation_input_tokens</c>: the sum of both TTL buckets.</summary>
    public int CacheCreationInputTokens => CacheCreation5m + CacheCreation1h;
}
