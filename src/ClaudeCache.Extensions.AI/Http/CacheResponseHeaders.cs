namespace ClaudeCache.Extensions.AI.Http;

/// <summary>The response headers the handler adds, the same names and values as the proxy's.</summary>
public static class CacheResponseHeaders
{
    /// <summary><c>x-cache</c>: HIT, MISS, REFRESH or BYPASS.</summary>
    public const string Status = "x-cache";

    /// <summary><c>x-cache-key</c>: the key in hex.</summary>
    public const string Key = "x-cache-key";

    /// <summary><c>x-cache-strategy</c>: the strategy that set the TTL.</summary>
    public const string Strategy = "x-cache-strategy";

    /// <summary><c>x-cache-strategy-reason</c>: why that strategy.</summary>
    public const string StrategyReason = "x-cache-strategy-reason";

    /// <summary><c>x-cache-coalesced</c>: true when the answer came from an identical call in flight.</summary>
    public const string Coalesced = "x-cache-coalesced";

    /// <summary>HIT.</summary>
    public const string Hit = "HIT";

    /// <summary>MISS.</summary>
    public const string Miss = "MISS";

    /// <summary>REFRESH: the caller asked not to be served from the cache, and the answer was stored.</summary>
    public const string Refresh = "REFRESH";

    /// <summary>BYPASS: policy forbids storing the answer.</summary>
    public const string Bypass = "BYPASS";
}
