namespace ClaudeCache.Policy;

/// <summary>The strategies' names as they appear in headers, metrics and the admin API.</summary>
public static class StrategyNames
{
    /// <summary>aggressive, standard, conservative, real-time or no-cache.</summary>
    public static string ToHeader(CacheStrategy strategy) => strategy switch
    {
        CacheStrategy.Aggressive => "aggressive",
        CacheStrategy.Standard => "standard",
        CacheStrategy.Conservative => "conservative",
        CacheStrategy.RealTime => "real-time",
        CacheStrategy.NoCache => "no-cache",
        _ => "unknown",
    };
}
