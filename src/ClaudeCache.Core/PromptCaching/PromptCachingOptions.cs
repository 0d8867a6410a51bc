namespace ClaudeCache.PromptCaching;

/// <summary>
/// Automatic <c>cache_control</c> placement on upstream calls (configuration section
/// <c>ClaudeCache:PromptCaching</c>). See docs/prompt-caching.md.
/// </summary>
public sealed class PromptCachingOptions
{
    /// <summary>
    /// Adds planned <c>cache_control</c> breakpoints to requests sent upstream on a miss (a request header
    /// <c>x-cache-prompt-breakpoints: auto|off</c> overrides it per request). Off by default because it changes the
    /// bytes sent upstream and the billing mix: a 5-minute cache write costs 1.25× input (a 1-hour one 2×), which
    /// is repaid only when a later request reads the prefix at 0.1×.
    /// </summary>
    public bool AutoBreakpoints { get; set; }

    /// <summary>Places 1-hour instead of 5-minute breakpoints (writes cost 2× input instead of 1.25×).</summary>
    public bool OneHourTtl { get; set; }

    /// <summary>The planner's options these settings stand for.</summary>
    public BreakpointOptions ToBreakpointOptions() => OneHourTtl ? new BreakpointOptions { OneHourTtl = true } : BreakpointOptions.Default;
}
