namespace ClaudeCache.Costs;

/// <summary>How a request was served, as the ledger counts it.</summary>
public enum LedgerOutcome
{
    /// <summary>Served from the cache (or by joining an identical call in flight): spend 0, its cost avoided.</summary>
    Hit,

    /// <summary>Looked up, not found, answered upstream: real spend.</summary>
    Miss,

    /// <summary><c>Cache-Control: no-cache</c>: answered upstream and stored again.</summary>
    Refresh,

    /// <summary>Not cacheable (no-store, the no-cache strategy, never-cache rules): answered upstream.</summary>
    Bypass,

    /// <summary>The upstream failed or answered with an error.</summary>
    Error,
}
