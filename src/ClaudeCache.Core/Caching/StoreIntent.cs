using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Policy;

namespace ClaudeCache.Caching;

/// <summary>What a flight stores when it ends in a complete success, and under which key.</summary>
/// <param name="Key">The cache key.</param>
/// <param name="Kind">Which endpoint the answer belongs to.</param>
/// <param name="Store">False when policy forbids storing (the answer is still judged, for coalesced callers).</param>
/// <param name="Strategy">The strategy that set the TTL.</param>
/// <param name="Ttl">How long the entry lives.</param>
/// <param name="ContextType">The request's context type, or empty.</param>
/// <param name="Namespace">The request's namespace, or empty.</param>
/// <param name="Replaces">True for a refresh (no-cache): other instances must drop their memory copies.</param>
/// <param name="Model">The model the request names (for the upstream call's trace span), or empty.</param>
public sealed record StoreIntent(
    CacheKey Key,
    ResponseKind Kind,
    bool Store,
    CacheStrategy Strategy,
    TimeSpan Ttl,
    string ContextType,
    string Namespace,
    bool Replaces = false,
    string Model = "")
{
    /// <summary>The tenant tag recorded with the entry (for a per-tenant purge), or empty.</summary>
    public string Tenant { get; init; } = "";

    /// <summary>The request's <c>x-cache-tags</c>, recorded with the entry (never part of the key).</summary>
    public IReadOnlyList<string> Tags { get; init; } = CacheTags.None;

    /// <summary>What the purge index records of <paramref name="response"/> stored under this intent.</summary>
    public EntryMetadata Metadata(CachedResponse response) => EntryMetadata.Of(response, Tenant, Model, Tags);

    /// <summary>How long past its TTL the entry is kept, to answer as stale when the upstream fails (docs/serve-stale.md).</summary>
    public TimeSpan Grace { get; init; }
}
