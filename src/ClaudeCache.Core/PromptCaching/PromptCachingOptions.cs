namespace ClaudeCache.PromptCaching;

/// <summary>
/// Automatic <c>cache_control</c> placement on upstream calls (configuration section
/// <c>ClaudeCache:PromptCaching</c>). See docs/prompt-caching.md.
/// </summary>
public sealed class PromptCachingOptions
{
    /// <summary>The default of <see cref="MaxColdPrefixWait"/>.</summary>
    public static readonly TimeSpan DefaultMaxColdPrefixWait = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Places learned <c>cache_control</c> breakpoints on requests sent upstream that carry none of their own (on by
    /// default; a request header <c>x-cache-prompt-breakpoints: auto|always|off</c> overrides it per request). A
    /// prefix is written only when the learning record expects it to be read before it expires.
    /// </summary>
    public bool AutoBreakpoints { get; set; } = true;

    /// <summary>Places 1-hour instead of 5-minute breakpoints always (writes cost 2× input instead of 1.25×); by default the record chooses per prefix.</summary>
    public bool OneHourTtl { get; set; }

    /// <summary>
    /// How long a call that would write a prefix another call is writing waits for that call's response to begin,
    /// so that it reads the prefix instead (about the p95 time to first byte; at most 30 seconds).
    /// </summary>
    public TimeSpan MaxColdPrefixWait { get; set; } = DefaultMaxColdPrefixWait;

    /// <summary>The most prefixes the learning record remembers (least recently seen forgotten first; about 200 bytes each).</summary>
    public int RecordMaxEntries { get; set; } = 100_000;

    /// <summary>Marked calls per tenant and model over which the safety valve weighs what the markers saved.</summary>
    public int ValveWindow { get; set; } = 50;

    /// <summary>The structural planner's options these settings stand for (the <c>always</c> mode).</summary>
    public BreakpointOptions ToBreakpointOptions() => OneHourTtl ? new BreakpointOptions { OneHourTtl = true } : BreakpointOptions.Default;
}
