using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Policy;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>What a flight stores when it ends in a complete success.</summary>
internal sealed record StoreIntent(
    CacheKey Key,
    ResponseKind Kind,
    bool Store,
    CacheStrategy Strategy,
    TimeSpan Ttl,
    string ContextType,
    string Namespace);
