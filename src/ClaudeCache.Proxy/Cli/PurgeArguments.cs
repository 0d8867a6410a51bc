namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// What <c>claudecache purge</c> removes, and where. With <see cref="SourceArguments.Url"/> it asks a running proxy
/// (<c>DELETE /admin/cache</c>: every tier, every instance); otherwise it works on the SQLite file
/// <see cref="SourceArguments.Database"/> directly (a stopped proxy's; a running one keeps its memory copies until they expire).
/// Filters are given as the admin API takes them (null: not given) and combined with AND.
/// </summary>
internal sealed record PurgeArguments : SourceArguments
{
    /// <summary>An entry tag (<c>x-cache-tags</c>).</summary>
    public string? Tag { get; init; }

    /// <summary>A tenant tag, as <c>claudecache stats --dimension tenant</c> shows it.</summary>
    public string? Tenant { get; init; }

    /// <summary>A namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary>The model as requests name it.</summary>
    public string? Model { get; init; }

    /// <summary>aggressive, standard, conservative or real-time.</summary>
    public string? Strategy { get; init; }

    /// <summary>A context type.</summary>
    public string? Context { get; init; }

    /// <summary>Only entries older than this: <c>30m</c>, <c>24h</c>, <c>7d</c>.</summary>
    public string? OlderThan { get; init; }

    /// <summary>Count, remove nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>Print the <c>DELETE /admin/cache</c> JSON instead of a sentence.</summary>
    public bool Json { get; init; }
}
