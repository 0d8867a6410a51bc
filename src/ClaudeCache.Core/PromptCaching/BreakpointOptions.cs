namespace ClaudeCache.PromptCaching;

/// <summary>How <see cref="BreakpointPlanner"/> marks the breakpoints it places.</summary>
public sealed record BreakpointOptions
{
    /// <summary>Five-minute breakpoints (<c>{"type":"ephemeral"}</c>), Anthropic's default.</summary>
    public static BreakpointOptions Default { get; } = new();

    /// <summary>
    /// Marks every placed breakpoint <c>"ttl":"1h"</c>. A 1-hour write costs 2× input instead of 1.25×, and pays
    /// off only when the same prefix comes back after more than five minutes. All breakpoints get the same TTL, so
    /// Anthropic's rule that 1h entries come before 5m entries always holds.
    /// </summary>
    public bool OneHourTtl { get; init; }
}
