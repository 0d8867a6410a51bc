namespace ClaudeCache.Extensions.AI.DependencyInjection;

/// <summary>Cost accounting (<c>ClaudeCache:Costs</c>): the same keys as the proxy's configuration.</summary>
public sealed class ClaudeCacheCostsOptions
{
    /// <summary>Record every request in the savings ledger and the cost metrics (on by default).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A price file that replaces or adds rows of the shipped table (see docs/pricing.md); none by default.</summary>
    public string? PricesFile { get; set; }

    /// <summary>How often the ledger's counts are added to the store (and always on dispose). Default 2 seconds.</summary>
    public TimeSpan LedgerFlushInterval { get; set; } = TimeSpan.FromSeconds(2);
}
