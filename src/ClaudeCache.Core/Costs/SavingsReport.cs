namespace ClaudeCache.Costs;

/// <summary>
/// The analytics over a time range: what <c>/admin/stats</c>, the dashboard and <c>claudecache stats</c> show.
/// Money is in US dollars (exact decimals); ratios are 0..1.
/// </summary>
public sealed record SavingsReport
{
    public required DateTimeOffset From { get; init; }

    public required DateTimeOffset To { get; init; }

    /// <summary>The filter applied (<c>dimension=value</c>), or null.</summary>
    public string? Filter { get; init; }

    public required SavingsFigures Totals { get; init; }

    public required SavingsProjection Projection { get; init; }

    public required IReadOnlyList<SavingsFigures> ByStrategy { get; init; }

    public required IReadOnlyList<SavingsFigures> ByContext { get; init; }

    public required IReadOnlyList<SavingsFigures> ByModel { get; init; }

    /// <summary>Time buckets (minute, hour or day, by the range's length), oldest first.</summary>
    public required IReadOnlyList<SavingsFigures> Series { get; init; }

    /// <summary>The series' bucket: <c>minute</c>, <c>hour</c> or <c>day</c>.</summary>
    public required string Granularity { get; init; }

    public required LatencySummary HitLatency { get; init; }

    public required LatencySummary MissLatency { get; init; }

    /// <summary>What the cache holds, when the report was made by a running proxy.</summary>
    public CacheFigures? Cache { get; init; }
}

/// <summary>Counts and money for one group (the totals, a strategy, a context type, a model, a time bucket).</summary>
public sealed record SavingsFigures
{
    /// <summary>The group's name (a strategy, a model, a bucket's start as ISO 8601), or "total".</summary>
    public required string Name { get; init; }

    public long Requests { get; init; }

    public long Hits { get; init; }

    public long Misses { get; init; }

    public long Refreshes { get; init; }

    public long Bypasses { get; init; }

    public long Errors { get; init; }

    /// <summary>Hits ÷ requests.</summary>
    public double HitRatio { get; init; }

    /// <summary>What was paid upstream.</summary>
    public decimal CostUsd { get; init; }

    /// <summary>What it would have cost without the cache: paid + avoided.</summary>
    public decimal CostWithoutCacheUsd { get; init; }

    /// <summary>Avoided spend.</summary>
    public decimal SavingsUsd { get; init; }

    /// <summary>Savings ÷ cost without the cache.</summary>
    public double SavingsRatio { get; init; }

    /// <summary>Requests whose model had no price (their cost is unknown, not zero).</summary>
    public long PriceUnknown { get; init; }

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    public long CacheWrite5mTokens { get; init; }

    public long CacheWrite1hTokens { get; init; }

    public long CacheReadTokens { get; init; }

    public long AvoidedInputTokens { get; init; }

    public long AvoidedOutputTokens { get; init; }
}

/// <summary>Savings and spend extrapolated from a trailing window, and the return on the cache's own cost.</summary>
public sealed record SavingsProjection
{
    /// <summary>The trailing window the projection extrapolates.</summary>
    public required TimeSpan Window { get; init; }

    public decimal MonthlySavingsUsd { get; init; }

    public decimal AnnualSavingsUsd { get; init; }

    public decimal MonthlyCostUsd { get; init; }

    /// <summary>The configured monthly cost of running the cache.</summary>
    public decimal MonthlyInfrastructureCostUsd { get; init; }

    /// <summary>(monthly savings − infrastructure) ÷ infrastructure; null when no infrastructure cost is configured.</summary>
    public double? Roi { get; init; }
}

/// <summary>Latency percentiles (upper bounds of histogram slots, milliseconds).</summary>
public sealed record LatencySummary(long Count, double? P50Ms, double? P95Ms, double? P99Ms);

/// <summary>What the cache holds.</summary>
public sealed record CacheFigures(long MemoryEntries, long MemoryBytes, long? StoredEntries, long? StoredBytes, double? CompressionRatio);
