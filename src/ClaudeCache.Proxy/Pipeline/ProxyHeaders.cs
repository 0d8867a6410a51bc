using System.Diagnostics;
using ClaudeCache.Policy;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>The headers the proxy reads and writes (the cache's own are <see cref="CacheHeaderNames"/>), and the headers it never forwards.</summary>
internal static class ProxyHeaders
{
    // Request controls (stripped before forwarding).
    public const string Strategy = CacheHeaderNames.Strategy;
    public const string Context = CacheHeaderNames.Context;
    public const string Namespace = CacheHeaderNames.Namespace;
    public const string PromptBreakpoints = CacheHeaderNames.PromptBreakpoints;
    public const string Tags = CacheHeaderNames.Tags;

    // Response headers the proxy sets on its own errors.
    public const string RequestId = CacheHeaderNames.RequestId;
    public const string ShouldRetry = "x-should-retry";

    // W3C trace context.
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    /// <summary>
    /// Headers that describe one connection (RFC 9110 §7.6.1), the body framing the proxy redoes itself, and the
    /// proxy's own controls. <c>accept-encoding</c> is dropped so the upstream sends plain bytes the proxy can
    /// parse and store. The caller's W3C trace context (<c>traceparent</c>, <c>tracestate</c>) is dropped too: the
    /// call is the upstream span's, whose context HttpClient sends when the request is traced.
    /// </summary>
    private static readonly HashSet<string> NotForwardedRequest = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te",
        "trailer", "transfer-encoding", "upgrade", "expect", "content-length", "content-type", "accept-encoding",
        "cache-control", TraceParent, TraceState, Strategy, Context, Namespace, PromptBreakpoints, Tags,
    };

    /// <summary>The W3C trace context a request carries, or none.</summary>
    public static ActivityContext CallerTrace(IHeaderDictionary headers)
    {
        var traceParent = headers[TraceParent].ToString();
        return traceParent.Length > 0 && ActivityContext.TryParse(traceParent, headers[TraceState].ToString(), isRemote: true, out var context)
            ? context
            : default;
    }

    public static bool ForwardRequestHeader(string name) => !NotForwardedRequest.Contains(name);
}
