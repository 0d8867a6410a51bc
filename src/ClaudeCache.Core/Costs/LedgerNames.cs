namespace ClaudeCache.Costs;

/// <summary>Lower-case names of outcomes, as stored, tagged and shown.</summary>
public static class LedgerNames
{
    /// <summary>hit, miss, refresh, bypass or error.</summary>
    public static string Of(LedgerOutcome outcome) => outcome switch
    {
        LedgerOutcome.Hit => "hit",
        LedgerOutcome.Miss => "miss",
        LedgerOutcome.Refresh => "refresh",
        LedgerOutcome.Bypass => "bypass",
        _ => "error",
    };

    /// <summary>The dimensions a report can be filtered or grouped by.</summary>
    public static readonly IReadOnlyList<string> Dimensions = ["model", "strategy", "context", "tenant", "outcome"];
}
