using ClaudeCache.Costs;

namespace ClaudeCache.Pipeline;

/// <summary>The one mapping of a <see cref="CacheStatus"/> to its header value and its ledger outcome.</summary>
public static class CacheStatusNames
{
    /// <summary>The <c>x-cache</c> value: HIT, MISS, REFRESH or BYPASS.</summary>
    public static string ToHeader(this CacheStatus status) => status switch
    {
        CacheStatus.Hit => "HIT",
        CacheStatus.Miss => "MISS",
        CacheStatus.Refresh => "REFRESH",
        _ => "BYPASS",
    };

    /// <summary>The ledger's outcome for a request answered with this status (an upstream error is recorded as such by the ledger).</summary>
    public static LedgerOutcome ToLedger(this CacheStatus status) => status switch
    {
        CacheStatus.Hit => LedgerOutcome.Hit,
        CacheStatus.Miss => LedgerOutcome.Miss,
        CacheStatus.Refresh => LedgerOutcome.Refresh,
        _ => LedgerOutcome.Bypass,
    };
}
