namespace ClaudeCache.Caching;

/// <summary>
/// What a removal selected entries by, as <c>claudecache.purged.entries</c> and <c>/admin/stats</c> label it: a fixed
/// set, never a filter's value. A bulk purge with one filter is named after it; with several, <see cref="Combined"/>.
/// </summary>
public static class PurgeKinds
{
    /// <summary>A single delete by cache key (<c>DELETE /admin/cache/{key}</c>, <c>ResponseCache.RemoveAsync</c>).</summary>
    public const string OneKey = "single";

    /// <summary>A bulk purge with more than one filter.</summary>
    public const string Combined = "combined";

    /// <summary>Every value: single, tag, tenant, namespace, model, strategy, context, older_than, combined.</summary>
    public static IReadOnlyList<string> All { get; } = [OneKey, "tag", "tenant", "namespace", "model", "strategy", "context", "older_than", Combined];

    /// <summary>The kind of a bulk purge's filter.</summary>
    public static string Of(PurgeFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        string? kind = null;
        var count = 0;
        Note(filter.Tag is not null, "tag");
        Note(filter.Tenant is not null, "tenant");
        Note(filter.Namespace is not null, "namespace");
        Note(filter.Model is not null, "model");
        Note(filter.Strategy is not null, "strategy");
        Note(filter.Context is not null, "context");
        Note(filter.CreatedBefore is not null, "older_than");
        return count == 1 ? kind! : Combined;

        void Note(bool set, string name)
        {
            if (set)
            {
                kind = name;
                count++;
            }
        }
    }
}
