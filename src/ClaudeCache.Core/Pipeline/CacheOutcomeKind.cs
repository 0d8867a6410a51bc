namespace ClaudeCache.Pipeline;

/// <summary>What <see cref="CacheEngine.HandleAsync"/> gives a front end to write.</summary>
public enum CacheOutcomeKind
{
    /// <summary>Bad input: a 400 <c>invalid_request_error</c>; nothing was forwarded or stored.</summary>
    Rejected,

    /// <summary>A complete stored answer to render (<see cref="StoredAnswer"/>).</summary>
    Stored,

    /// <summary>An upstream call to follow as its bytes arrive (<see cref="CacheOutcome.Flight"/>, head already received).</summary>
    Live,
}
