using ClaudeCache.Anthropic;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Policy;

namespace ClaudeCache.Caching;

/// <summary>A validated request with its policy and key (steps 2–4), ready to look up.</summary>
/// <param name="Key">The cache key.</param>
/// <param name="Policy">Strategy, TTL, and whether to look up and store.</param>
/// <param name="Endpoint">Messages or count_tokens.</param>
/// <param name="WantsStream">Whether the caller asked for a stream.</param>
/// <param name="ContextType">The declared context type, or empty.</param>
/// <param name="Model">The requested model (an alias or an id).</param>
/// <param name="Tenant">A short, non-reversible tag of the tenant partition, for the ledger.</param>
public sealed record PreparedRequest(CacheKey Key, CachePolicy Policy, RequestEndpoint Endpoint, bool WantsStream, string ContextType, string Model, string Tenant)
{
    /// <summary>What to store when the upstream answers.</summary>
    public StoreIntent Intent => new(
        Key,
        Endpoint == RequestEndpoint.CountTokens ? ResponseKind.CountTokens : ResponseKind.Message,
        Policy.Store,
        Policy.Strategy,
        Policy.Ttl,
        ContextType,
        Policy.Namespace,
        Replaces: Policy.Store && !Policy.Lookup,
        Model: Model)
    {
        Tenant = Tenant,
        Grace = Policy.Stale.Keep,
    };
}
