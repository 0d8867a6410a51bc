namespace ClaudeCache.Proxy.Pipeline;

/// <summary>The proxy's own request and response headers, and the headers it never forwards.</summary>
internal static class ProxyHeaders
{
    // Request controls (stripped before forwarding).
    public const string Strategy = "x-cache-strategy";
    public const string Context = "x-cache-context";
    public const string Namespace = "x-cache-namespace";
    public const string PromptBreakpoints = "x-cache-prompt-breakpoints";

    // Response headers.
    public const string Status = "x-cache";
    public const string Key = "x-cache-key";
    public const string StrategyReason = "x-cache-strategy-reason";
    public const string Coalesced = "x-cache-coalesced";
    public const string RequestId = "request-id";
    public const string ShouldRetry = "x-should-retry";

    public const string Hit = "HIT";
    public const string Miss = "MISS";
    public const string Refresh = "REFRESH";
    public const string Bypass = "BYPASS";

    /// <summary>
    /// Headers that describe one connection (RFC 9110 §7.6.1), the body framing the proxy redoes itself, and the
    /// proxy's own controls. <c>accept-encoding</c> is dropped so the upstream sends plain bytes the proxy can
    /// parse and store.
    /// </summary>
    private static readonly HashSet<string> NotForwardedRequest = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te",
        "trailer", "transfer-encoding", "upgrade", "expect", "content-length", "content-type", "accept-encoding",
        "cache-control", Strategy, Context, Namespace, PromptBreakpoints,
    };

    public static bool ForwardRequestHeader(string name) => !NotForwardedRequest.Contains(name);
}
