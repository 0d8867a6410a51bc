namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// What <c>claudecache stats</c> reads and how it prints it. With <see cref="Url"/> the report comes from a running
/// proxy's <c>/admin/stats</c>; otherwise from the ledger tables of the SQLite file <see cref="Database"/>.
/// </summary>
internal sealed record StatsArguments
{
    /// <summary>Base URL of a running proxy (e.g. <c>http://127.0.0.1:8787</c>), or null to read the database.</summary>
    public string? Url { get; init; }

    /// <summary>The proxy's admin token (only with <see cref="Url"/>).</summary>
    public string? AdminToken { get; init; }

    /// <summary>The SQLite file the proxy writes (only without <see cref="Url"/>).</summary>
    public string Database { get; init; } = "claudecache.db";

    /// <summary>How far back from <see cref="To"/>: <c>30m</c>, <c>24h</c>, <c>7d</c>.</summary>
    public string Window { get; init; } = "24h";

    /// <summary>End of the range; null for now (the proxy's clock with <see cref="Url"/>).</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>model, strategy, context, tenant or outcome; null for no filter.</summary>
    public string? Dimension { get; init; }

    /// <summary>The value <see cref="Dimension"/> must have.</summary>
    public string? Value { get; init; }

    /// <summary>Monthly cost of running the cache, for the ROI (only when reading the database; a proxy uses its own).</summary>
    public decimal InfrastructureCostUsd { get; init; }

    /// <summary>Print the <c>/admin/stats</c> JSON instead of tables.</summary>
    public bool Json { get; init; }
}
