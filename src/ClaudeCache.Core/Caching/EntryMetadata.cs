using ClaudeCache.Entries;
using ClaudeCache.Policy;

namespace ClaudeCache.Caching;

/// <summary>
/// What the purge index records of a stored entry, beside the entry (whose payload format it leaves unchanged):
/// the facts <see cref="PurgeFilter"/> selects by. See docs/invalidation.md.
/// </summary>
/// <param name="Tenant">The tenant tag (the one <c>/admin/stats?dimension=tenant</c> shows), or empty.</param>
/// <param name="Namespace">The request's namespace, or empty.</param>
/// <param name="Model">The model as the request named it, or empty.</param>
/// <param name="Strategy">The strategy that set the TTL.</param>
/// <param name="Context">The request's context type, or empty.</param>
/// <param name="CreatedAt">When the upstream answered.</param>
/// <param name="Tags">The request's tags (<see cref="CacheTags"/>).</param>
public sealed record EntryMetadata(
    string Tenant,
    string Namespace,
    string Model,
    CacheStrategy Strategy,
    string Context,
    DateTimeOffset CreatedAt,
    IReadOnlyList<string> Tags)
{
    /// <summary>The metadata of <paramref name="response"/>, stored for <paramref name="tenant"/> with <paramref name="tags"/>.</summary>
    /// <param name="response">The answer being stored (strategy, namespace, context, creation time).</param>
    /// <param name="tenant">The tenant tag.</param>
    /// <param name="model">The model the request named (else the response's).</param>
    /// <param name="tags">The request's tags.</param>
    public static EntryMetadata Of(CachedResponse response, string tenant, string model, IReadOnlyList<string>? tags)
    {
        ArgumentNullException.ThrowIfNull(response);
        return new EntryMetadata(
            tenant,
            response.Namespace,
            model.Length > 0 ? model : response.Model,
            response.Strategy,
            response.ContextType,
            response.CreatedAt,
            tags ?? CacheTags.None);
    }
}
