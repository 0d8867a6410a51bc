namespace ClaudeCache.Proxy.Hosting;

/// <summary>Cost accounting (<c>ClaudeCache:Costs</c>).</summary>
public sealed class CostsOptions
{
    /// <summary>Record every request in the ledger and the cost metrics (on by default; off only to measure its overhead).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A price file that replaces or adds rows of the shipped table (see docs/pricing.md); none by default.</summary>
    public string? PricesFile { get; set; }

    /// <summary>What running the cache costs per month, for the ROI figure (0: ROI not shown).</summary>
    public decimal MonthlyInfrastructureCostUsd { get; set; }

    /// <summary>How often the ledger's counts are added to the store.</summary>
    public TimeSpan LedgerFlushInterval { get; set; } = TimeSpan.FromSeconds(2);
}
