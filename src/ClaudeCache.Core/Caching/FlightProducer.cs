namespace ClaudeCache.Caching;

/// <summary>
/// Produces a flight's answer in-process instead of calling an HTTP upstream — the <c>IChatClient</c> middleware's
/// inner client is one. It writes the answer's bytes to <paramref name="body"/> as they are produced (every caller of
/// the flight follows them) and returns the answer to store. Throwing fails the flight: every caller of it gets the
/// exception, and nothing is stored.
/// </summary>
/// <param name="body">Where the bytes go, in the form the flight's callers read.</param>
/// <param name="cancellationToken">The upstream timeout; no caller's token (the call is shared).</param>
public delegate Task<ProducedAnswer> FlightProducer(FlightWriter body, CancellationToken cancellationToken);
