using ClaudeCache.Caching;
using ClaudeCache.Policy;

namespace ClaudeCache.Proxy.Admin;

/// <summary>
/// The query of <c>DELETE /admin/cache</c>: <c>tag</c>, <c>tenant</c>, <c>namespace</c>, <c>model</c>,
/// <c>strategy</c>, <c>context</c> and <c>olderThan</c> (a duration like <c>30m</c>, <c>24h</c>, <c>7d</c>), combined
/// with AND, at least one of them; <c>dryRun=true</c> counts without removing. An unknown or repeated parameter is
/// refused: a misspelt filter must not widen a purge.
/// </summary>
internal static class PurgeQuery
{
    /// <summary>The parameters, as the admin API and <c>claudecache purge</c> name them.</summary>
    public static readonly string[] Parameters = ["tag", "tenant", "namespace", "model", "strategy", "context", "olderThan", "dryRun"];

    public static bool TryParse(IQueryCollection query, DateTimeOffset now, out PurgeFilter filter, out bool dryRun, out string? error)
    {
        ArgumentNullException.ThrowIfNull(query);
        filter = new PurgeFilter();
        dryRun = false;
        foreach (var (name, values) in query)
        {
            if (!Parameters.Contains(name, StringComparer.Ordinal))
            {
                error = $"'{Shorten(name)}' is not a filter; use {string.Join(", ", Parameters)}.";
                return false;
            }

            if (values.Count != 1)
            {
                error = $"{name}: give it once.";
                return false;
            }
        }

        string? Value(string name) => query.TryGetValue(name, out var v) ? v.ToString() : null;
        return TryCreate(Value("tag"), Value("tenant"), Value("namespace"), Value("model"), Value("strategy"), Value("context"), Value("olderThan"), now, out filter, out error)
            && TryParseDryRun(Value("dryRun"), out dryRun, out error);
    }

    /// <summary>Builds and validates a filter from its text values (null: not given); shared with <c>claudecache purge</c>.</summary>
    public static bool TryCreate(
        string? tag, string? tenant, string? ns, string? model, string? strategy, string? context, string? olderThan, DateTimeOffset now,
        out PurgeFilter filter, out string? error)
    {
        filter = new PurgeFilter();
        CacheStrategy? parsedStrategy = null;
        if (strategy is not null)
        {
            if (!StrategyResolver.TryParseStrategy(strategy, out var s))
            {
                error = $"strategy: '{Shorten(strategy)}' is not one of aggressive, standard, conservative, real-time.";
                return false;
            }

            parsedStrategy = s;
        }

        DateTimeOffset? before = null;
        if (olderThan is not null)
        {
            if (!StatsQuery.TryParseWindow(olderThan, out var age))
            {
                error = $"olderThan: '{Shorten(olderThan)}' is not a duration like 30m, 24h or 7d.";
                return false;
            }

            before = now - age;
        }

        filter = new PurgeFilter
        {
            Tag = tag,
            Tenant = tenant,
            Namespace = ns,
            Model = model,
            Strategy = parsedStrategy,
            Context = context,
            CreatedBefore = before,
        };
        error = filter.Validate();
        return error is null;
    }

    private static bool TryParseDryRun(string? text, out bool dryRun, out string? error)
    {
        error = null;
        dryRun = false;
        if (text is null || bool.TryParse(text, out dryRun))
        {
            return true;
        }

        error = $"dryRun: '{Shorten(text)}' is not true or false.";
        return false;
    }

    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
