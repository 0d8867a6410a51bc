using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.PromptCaching;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>
/// Step 7's optional rewrite: planned <c>cache_control</c> breakpoints on the body sent upstream, by configuration
/// (<c>PromptCaching:AutoBreakpoints</c>) or per request (<c>x-cache-prompt-breakpoints: auto|off</c>). The key was
/// computed from the caller's body, and ignores <c>cache_control</c> anyway, so it never changes.
/// </summary>
internal static class PromptBreakpoints
{
    public const string Auto = "auto";
    public const string Off = "off";

    /// <summary>Whether the header's value is one the proxy understands (empty means "as configured").</summary>
    public static bool IsValidHeader(string value) =>
        value.Length == 0 || value.Equals(Auto, StringComparison.OrdinalIgnoreCase) || value.Equals(Off, StringComparison.OrdinalIgnoreCase);

    /// <summary>The body to send upstream: the caller's, or a copy with breakpoints when they are on and worth placing.</summary>
    public static ReadOnlyMemory<byte> Apply(byte[] body, PreparedRequest prepared, string header, PromptCachingOptions options)
    {
        var on = header.Length == 0 ? options.AutoBreakpoints : header.Equals(Auto, StringComparison.OrdinalIgnoreCase);
        if (!on || prepared.Endpoint != RequestEndpoint.Messages)
        {
            return body;
        }

        return BreakpointPlanner.Plan(body, prepared.Endpoint, options.ToBreakpointOptions()) ?? body;
    }
}
