namespace ClaudeCache.Costs;

/// <summary>
/// The analytics over a time range: what <c>/admin/stats</c>, the dashboard and <c>claudecache stats</c> show.
/// Money is in US dollars (exact decimals); ratios are 0..1.
/// </summary>
public sealed record SavingsReport
{
    /// <summary>Start of the range (inclusive).</summary>
    public required DateTimeOffset From { get; init; }

    /// <summary>End of the range (exclusive).</summary>
    public required DateTimeOffset To { get; init; }

    /// <summary>The filter applied (<c>dimension=value</c>), or null.</summary>
    public string? Filter { get; init; }

    /// <summary>Everything in the range.</summary>
    public required SavingsFigures Totals { get; init; }

    /// <summary>Monthly and annual projections and ROI.</summary>
    public required SavingsProjection Projection { get; init; }

    /// <summary>Per strategy.</summary>
    public required IReadOnlyList<SavingsFigures> ByStrategy { get; init; }

    /// <summary>Per context type.</summary>
    public required IReadOnlyList<SavingsFigures> ByContext { get; init; }

    /// <summary>Per model.</summary>
    public required IReadOnlyList<SavingsFigures> ByModel { get; init; }

    /// <summary>The prompt-cache planner's state in this process (null where there is none, e.g. the <c>stats</c> command).</summary>
    public PromptCacheFigures? PromptCache { get; init; }

    /// <summary>Time buckets (minute, hour or day, by the range's length), oldest first.</summary>
    public required IReadOnlyList<SavingsFigures> Series { get; init; }

    /// <summary>The series' bucket: <c>minute</c>, <c>hour</c> or <c>day</c>.</summary>
    public required string Granularity { get; init; }

    /// <summary>Latency of hits.</summary>
    public required LatencySummary HitLatency { get; init; }

    /// <summary>Latency of requests answered upstream.</summary>
    public required LatencySummary MissLatency { get; init; }

    /// <summary>What the cache holds, when the report was made by a running proxy.</summary>
    public CacheFigures? Cache { get; init; }

    /// <summary>Requests refused as overloaded since start, when the report was made by a running proxy.</summary>
    public OverloadFigures? Overload { get; init; }

    /// <summary>
    /// Entries removed by single deletes and bulk purges since this instance started, by kind (<c>single</c>, or the
    /// purge's filter: <c>tag</c>, <c>tenant</c>, …, <c>combined</c>), when the report was made by a running proxy.
    /// </summary>
    public IReadOnlyDictionary<string, long>? Purged { get; init; }

    /// <summary>Stale answers and miss reasons over the range (from the ledger).</summary>
    public ServingFigures? Serving { get; init; }
}

/// <summary>
/// Counts over the report's range, from the ledger (<see cref="ServingCounts"/>): answers given by expired entries
/// (docs/serve-stale.md) and why requests missed.
/// </summary>
/// <param name="StaleServed">Requests answered by an expired entry kept for its grace (priced as hits in the ledger).</param>
/// <param name="StaleByReason">The same by <c>x-cache-stale-reason</c>: <c>upstream 529</c>, <c>upstream timeout</c>, <c>revalidating</c>, ….</param>
/// <param name="StaleSavedUsd">What those answers saved: their avoided cost at today's prices (part of the savings).</param>
/// <param name="Revalidations">Background refreshes started by <c>stale-while-revalidate</c>.</param>
/// <param name="MissReasons">Requests not answered from the cache, by <c>x-cache-miss-reason</c>.</param>
public sealed record ServingFigures(
    long StaleServed,
    IReadOnlyDictionary<string, long> StaleByReason,
    decimal StaleSavedUsd,
    long Revalidations,
    IReadOnlyDictionary<string, long> MissReasons);

/// <summary>Counts and money for one group (the totals, a strategy, a context type, a model, a time bucket).</summary>
public sealed record SavingsFigures
{
    /// <summary>The group's name (a strategy, a model, a bucket's start as ISO 8601), or "total".</summary>
    public required string Name { get; init; }

    /// <summary>Requests counted.</summary>
    public long Requests { get; init; }

    /// <summary>Requests served from the cache (or by joining a call in flight).</summary>
    public long Hits { get; init; }

    /// <summary>Requests looked up, not found, answered upstream.</summary>
    public long Misses { get; init; }

    /// <summary>Requests that skipped the lookup (no-cache) and refreshed the entry.</summary>
    public long Refreshes { get; init; }

    /// <summary>Requests not cacheable by policy.</summary>
    public long Bypasses { get; init; }

    /// <summary>Requests the upstream failed.</summary>
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

    /// <summary>Uncached input tokens billed.</summary>
    public long InputTokens { get; init; }

    /// <summary>Output tokens billed.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Prompt-cache writes (5-minute TTL) billed.</summary>
    public long CacheWrite5mTokens { get; init; }

    /// <summary>Prompt-cache writes (1-hour TTL) billed.</summary>
    public long CacheWrite1hTokens { get; init; }

    /// <summary>Prompt-cache reads billed.</summary>
    public long CacheReadTokens { get; init; }

    /// <summary>Input tokens (all classes) that hits did not send upstream.</summary>
    public long AvoidedInputTokens { get; init; }

    /// <summary>Output tokens hits did not have generated.</summary>
    public long AvoidedOutputTokens { get; init; }

    /// <summary>Upstream calls whose <c>cache_control</c> markers the proxy placed (not the caller).</summary>
    public long PromptCacheMarkedCalls { get; init; }

    /// <summary>
    /// What the proxy's markers saved on those calls: their prompts at the plain input price, less what the prompts
    /// cost with cache writes and reads. Negative when writes were not read enough to pay for themselves.
    /// </summary>
    public decimal PromptCacheSavedUsd { get; init; }

    /// <summary>What those calls' prompt-cache writes cost (part of <see cref="CostUsd"/>).</summary>
    public decimal PromptCacheWriteCostUsd { get; init; }
}

/// <summary>Savings and spend extrapolated from a trailing window, and the return on the cache's own cost.</summary>
public sealed record SavingsProjection
{
    /// <summary>The trailing window the projection extrapolates.</summary>
    public required TimeSpan Window { get; init; }

    /// <summary>Savings projected to an average month.</summary>
    public decimal MonthlySavingsUsd { get; init; }

    /// <summary>Savings projected to an average year.</summary>
    public decimal AnnualSavingsUsd { get; init; }

    /// <summary>Spend projected to an average month.</summary>
    public decimal MonthlyCostUsd { get; init; }

    /// <summary>The configured monthly cost of running the cache.</summary>
    public decimal MonthlyInfrastructureCostUsd { get; init; }

    /// <summary>(monthly savings − infrastructure) ÷ infrastructure; null when no infrastructure cost is configured.</summary>
    public double? Roi { get; init; }
}

/// <summary>
/// Latency: the requests counted, their mean, and percentiles (upper bounds of histogram slots), in milliseconds. The
/// percentiles are null with no data, and under a filter (the histograms are not kept per dimension).
/// </summary>
public sealed record LatencySummary(long Count, double? P50Ms, double? P95Ms, double? P99Ms, double? MeanMs = null);

/// <summary>What the cache holds, and the dictionary its new entries are compressed with (see <c>CacheStatistics</c>).</summary>
public sealed record CacheFigures(
    long MemoryEntries,
    long MemoryBytes,
    long? StoredEntries,
    long? StoredBytes,
    double? CompressionRatio,
    string? DictionaryId = null,
    DateTimeOffset? DictionaryTrainedAt = null);

/// <summary>The prompt-cache planner's state: what it remembers, how often calls waited, where it stopped writing.</summary>
/// <param name="RememberedPrefixes">Prefixes in the learning record.</param>
/// <param name="ColdPrefixWaits">Calls that waited for another call writing the same cold prefix, since start.</param>
/// <param name="ValvesClosed">Tenant tags and models (<c>tenant/model</c>) where the markers cost more than they saved, so no new prefix is written on a prediction.</param>
public sealed record PromptCacheFigures(int RememberedPrefixes, long ColdPrefixWaits, IReadOnlyList<string> ValvesClosed);
