namespace ClaudeCache.PromptCaching;

/// <summary>The values of the <c>x-cache-prompt-breakpoints</c> request header.</summary>
public static class PromptBreakpointModes
{
    /// <summary>Place planned breakpoints on this request's upstream call.</summary>
    public const string Auto = "auto";

    /// <summary>Send the caller's body unchanged.</summary>
    public const string Off = "off";

    /// <summary>Whether the header's value is one the cache understands (empty or absent means "as configured").</summary>
    public static bool IsValid(string? value) =>
        string.IsNullOrEmpty(value) || value.Equals(Auto, StringComparison.OrdinalIgnoreCase) || value.Equals(Off, StringComparison.OrdinalIgnoreCase);
}
