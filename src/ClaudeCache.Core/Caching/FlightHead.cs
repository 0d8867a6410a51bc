namespace ClaudeCache.Caching;

/// <summary>The status line and headers of an upstream response, shared by every caller of a flight.</summary>
/// <param name="StatusCode">The HTTP status.</param>
/// <param name="Headers">Response headers to pass on (hop-by-hop ones already removed).</param>
/// <param name="IsEventStream">True when the body is <c>text/event-stream</c>.</param>
/// <param name="FromCache">True when another instance made the call and this flight replays its stored answer.</param>
public sealed record FlightHead(int StatusCode, IReadOnlyList<KeyValuePair<string, string[]>> Headers, bool IsEventStream, bool FromCache = false)
{
    /// <summary>
    /// Set when the proxy answered for an upstream it could not get an answer from: <c>timeout</c> or
    /// <c>unreachable</c> (the reason a stale answer gives, docs/serve-stale.md); null for the upstream's own status.
    /// </summary>
    public string? LocalFailure { get; init; }
}
