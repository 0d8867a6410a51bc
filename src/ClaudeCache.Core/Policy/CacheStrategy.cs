namespace ClaudeCache.Policy;

/// <summary>
/// How long a response may be served from the cache. Chosen per request: explicitly with the
/// <c>x-cache-strategy</c> header, or automatically from the request's context type and content.
/// </summary>
public enum CacheStrategy
{
    /// <summary>24 hours and more: explanations, documentation, definitions.</summary>
    Aggressive,

    /// <summary>4–8 hours: analyses and recommendations. The default.</summary>
    Standard,

    /// <summary>1–2 hours: time-sensitive data such as market figures.</summary>
    Conservative,

    /// <summary>5–30 minutes: live coaching and conversations in progress.</summary>
    RealTime,

    /// <summary>Never cached: one-off requests.</summary>
    NoCache,
}
