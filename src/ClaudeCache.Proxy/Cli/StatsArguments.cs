namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// What <c>claudecache stats</c> reads and how it prints it. With <see cref="SourceArguments.Url"/> the report comes from a running
/// proxy's <c>/admin/stats</c>; otherwise from the ledger tables of the SQLite file <see cref="SourceArguments.Database"/>.
/// </summary>
internal sealed record StatsArguments : SourceArguments
{
    /// <summary>How far back from <see cref="To"/>: <c>30m</c>, <c>24h</c>, <c>7d</c>.</summary>
    public string Window { get; init; } = "24h";

    /// <summary>End of the range; null for now (the proxy's clock with <see cref="SourceArguments.Url"/>).</summary>
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
