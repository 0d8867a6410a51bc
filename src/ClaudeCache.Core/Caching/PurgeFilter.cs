using ClaudeCache.Policy;

namespace ClaudeCache.Caching;

/// <summary>
/// Which entries a purge removes: every entry whose <see cref="EntryMetadata"/> matches all the filters given (AND).
/// An empty filter matches nothing (<see cref="IsEmpty"/>): removing everything takes an explicit filter, such as
/// <see cref="CreatedBefore"/> now. See docs/invalidation.md.
/// </summary>
public sealed record PurgeFilter
{
    /// <summary>The longest value accepted for <see cref="Tenant"/>, <see cref="Model"/> and <see cref="Context"/>.</summary>
    public const int MaxValueLength = 256;

    /// <summary>One of the entry's tags (<c>x-cache-tags</c>).</summary>
    public string? Tag { get; init; }

    /// <summary>The tenant tag (as <c>/admin/stats?dimension=tenant</c> shows it).</summary>
    public string? Tenant { get; init; }

    /// <summary>The namespace (<c>x-cache-namespace</c>).</summary>
    public string? Namespace { get; init; }

    /// <summary>The model as the request named it.</summary>
    public string? Model { get; init; }

    /// <summary>The strategy that set the entry's TTL.</summary>
    public CacheStrategy? Strategy { get; init; }

    /// <summary>The context type (<c>x-cache-context</c>).</summary>
    public string? Context { get; init; }

    /// <summary>Only entries created before this time (<c>olderThan</c>).</summary>
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>True when no filter is set.</summary>
    public bool IsEmpty =>
        Tag is null && Tenant is null && Namespace is null && Model is null && Strategy is null && Context is null && CreatedBefore is null;

    /// <summary>True when <paramref name="entry"/> matches every filter set.</summary>
    public bool Matches(EntryMetadata entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return !IsEmpty
            && (Tag is null || entry.Tags.Contains(Tag, StringComparer.Ordinal))
            && (Tenant is null || entry.Tenant == Tenant)
            && (Namespace is null || entry.Namespace == Namespace)
            && (Model is null || entry.Model == Model)
            && (Strategy is null || entry.Strategy == Strategy)
            && (Context is null || entry.Context == Context)
            && (CreatedBefore is null || entry.CreatedAt < CreatedBefore);
    }

    /// <summary>Null when the filter can run; otherwise what is wrong with it, for a 400 or a usage error.</summary>
    public string? Validate()
    {
        if (IsEmpty)
        {
            return "Give at least one filter: tag, tenant, namespace, model, strategy, context or olderThan.";
        }

        if (Tag is not null && !CacheTags.TryValidate(Tag, out var error))
        {
            return error;
        }

        if (Namespace is { Length: 0 })
        {
            return "namespace: must not be empty.";
        }

        if (Namespace is not null && !CachePolicyResolver.TryValidateNamespace(Namespace, out _, out error))
        {
            return error;
        }

        foreach (var (name, value) in new[] { ("tenant", Tenant), ("model", Model), ("context", Context) })
        {
            if (value is not null && (value.Length is 0 or > MaxValueLength || value.AsSpan().ContainsAnyInRange('\0', '\u001f')))
            {
                return $"{name}: expected 1 to {MaxValueLength} printable characters.";
            }
        }

        return null;
    }
}
