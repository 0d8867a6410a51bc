using ClaudeCache.Costs;

namespace ClaudeCache.Extensions.AI;

/// <summary>Cost accounting (<c>ClaudeCache:Costs</c>): the same keys as the proxy's configuration.</summary>
public sealed class ClaudeCacheCostsOptions
{
    /// <summary>Record every request in the savings ledger and the cost metrics (on by default).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A price file that replaces or adds rows of the shipped table (see docs/pricing.md); none by default.</summary>
    public string? PricesFile { get; set; }

    /// <summary>What running the cache costs per month (USD), for the ROI in <c>/admin/stats</c>. Default 0.</summary>
    public decimal MonthlyInfrastructureCostUsd { get; set; }

    /// <summary>How often the ledger's counts are added to the store (and always on dispose). Default 2 seconds.</summary>
    public TimeSpan LedgerFlushInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest model, context or tenant value the ledger keeps; longer ones are cut. Default 64.</summary>
    public int LedgerMaxValueLength { get; set; } = LedgerLimits.Default.MaxValueLength;

    /// <summary>Distinct values per client-controlled ledger dimension per hour; the rest are filed as <c>other</c>. Default 100.</summary>
    public int LedgerMaxDistinctValuesPerHour { get; set; } = LedgerLimits.Default.MaxDistinctValuesPerHour;

    /// <summary>How long per-minute ledger rows are kept before they are folded into days. Default 35 days.</summary>
    public TimeSpan LedgerMinuteRetention { get; set; } = LedgerLimits.Default.MinuteRetention;

    /// <summary>How long per-day ledger rows are kept before they are deleted. Default 400 days.</summary>
    public TimeSpan LedgerDayRetention { get; set; } = LedgerLimits.Default.DayRetention;

    /// <summary>Most ledger rows held while the store is unreachable; the oldest beyond it are dropped. Default 10,000.</summary>
    public int LedgerMaxPendingRows { get; set; } = LedgerLimits.Default.MaxPendingRows;

    /// <summary>How long the request log (what <c>claudecache estimate</c> replays) keeps its rows; zero turns it off. Default 7 days.</summary>
    public TimeSpan RequestLogRetention { get; set; } = LedgerLimits.Default.RequestLogRetention;

    /// <summary>Most rows the request log keeps; the oldest beyond it are deleted. Default 1,000,000.</summary>
    public int RequestLogMaxRows { get; set; } = LedgerLimits.Default.RequestLogMaxRows;

    /// <summary>The ledger bounds these options describe.</summary>
    public LedgerLimits ToLedgerLimits() => new()
    {
        MaxValueLength = LedgerMaxValueLength,
        MaxDistinctValuesPerHour = LedgerMaxDistinctValuesPerHour,
        MinuteRetention = LedgerMinuteRetention,
        DayRetention = LedgerDayRetention,
        MaxPendingRows = LedgerMaxPendingRows,
        RequestLogRetention = RequestLogRetention,
        RequestLogMaxRows = RequestLogMaxRows,
    };
}
