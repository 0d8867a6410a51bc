namespace ClaudeCache.Testing;

/// <summary>One cached prefix: when it expires, and the TTL a read renews it by.</summary>
internal sealed class PromptCacheEntry(DateTimeOffset expiresAt, TimeSpan ttl)
{
    public DateTimeOffset ExpiresAt { get; set; } = expiresAt;

    public TimeSpan Ttl { get; } = ttl;
}
