using ClaudeCache.Costs;

namespace ClaudeCache.Pipeline;

/// <summary>The one mapping of a <see cref="CacheStatus"/> to its header value and its ledger outcome.</summary>
public static class CacheStatusNames
{
    /// <summary>The <c>x-cache</c> value: HIT, MISS, REFRESH, BYPASS or STALE.</summary>
    public static string ToHeader(this CacheStatus status) => status switch
    {
        CacheStatus.Hit => "HIT",
        CacheStatus.Stale => "STALE",
        CacheStatus.Miss => "MISS",
        CacheStatus.Refresh => "REFRESH",
        _ => "BYPASS",
    };

    /// <summary>
    /// The ledger's outcome for a request answered with this status (an upstream error is recorded as such by the
    /// ledger). A stale answer is a hit: the caller got an answer without an upstream call of its own.
    /// </summary>
    public static LedgerOutcome ToLedger(this CacheStatus status) => status switch
    {
        CacheStatus.Hit or CacheStatus.Stale => LedgerOutcome.Hit,
        CacheStatus.Miss => LedgerOutcome.Miss,
        CacheStatus.Refresh => LedgerOutcome.Refresh,
        _ => LedgerOutcome.Bypass,
    };
}
