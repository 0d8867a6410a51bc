namespace ClaudeCache.Caching;

/// <summary>Response headers that describe one connection (RFC 9110 §7.6.1) and never pass a proxy.</summary>
public static class HopByHop
{
    private static readonly HashSet<string> NotForwardedResponse = new(StringComparer.OrdinalIgnoreCase)
    {
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "date",
        "server", "alt-svc",
    };

    /// <summary>True when a response header is passed on to the caller.</summary>
    public static bool IsForwardedResponseHeader(string name) => !NotForwardedResponse.Contains(name);
}
