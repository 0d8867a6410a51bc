namespace ClaudeCache.Tests.Costs;

/// <summary>The token classes Anthropic bills separately, for table-driven price tests.</summary>
public enum TokenClass
{
    Input,
    CacheWrite5m,
    CacheWrite1h,
    CacheRead,
    Output,
}
