using ClaudeCache.Entries;

namespace ClaudeCache.Caching;

/// <summary>How a flight ended.</summary>
/// <param name="Response">The complete successful answer, when there is one (stored or not, by policy).</param>
/// <param name="Reason">Why the answer is not cacheable, or "stored" / "not stored by policy".</param>
public sealed record FlightOutcome(CachedResponse? Response, string Reason)
{
    /// <summary>True when the answer came from the shared cache (another instance called upstream), not from a call of ours.</summary>
    public bool ServedFromCache { get; init; }

    /// <summary>True when the upstream gave a complete, successful answer.</summary>
    public bool IsCompleteSuccess => Response is not null;
}
