namespace ClaudeCache.PromptCaching;

/// <summary>The values of the <c>x-cache-prompt-breakpoints</c> request header.</summary>
public static class PromptBreakpointModes
{
    /// <summary>Place the breakpoints the learning record expects to be read (the default).</summary>
    public const string Auto = "auto";

    /// <summary>Place every structural breakpoint (tools, system, last user turn, lookback chain), learned or not: for pre-warming.</summary>
    public const string Always = "always";

    /// <summary>Send the caller's body unchanged.</summary>
    public const string Off = "off";

    /// <summary>Whether the header's value is one the cache understands (empty or absent means "as configured").</summary>
    public static bool IsValid(string? value) =>
        string.IsNullOrEmpty(value)
        || value.Equals(Auto, StringComparison.OrdinalIgnoreCase)
        || value.Equals(Always, StringComparison.OrdinalIgnoreCase)
        || value.Equals(Off, StringComparison.OrdinalIgnoreCase);

    /// <summary>The mode a request runs in: its header's, else <see cref="Auto"/> or <see cref="Off"/> as configured.</summary>
    public static string Resolve(string? header, PromptCachingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(header))
        {
            return options.AutoBreakpoints ? Auto : Off;
        }

        return header.Equals(Always, StringComparison.OrdinalIgnoreCase) ? Always
            : header.Equals(Off, StringComparison.OrdinalIgnoreCase) ? Off
            : Auto;
    }
}
