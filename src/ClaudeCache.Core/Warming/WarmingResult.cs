namespace ClaudeCache.Warming;

/// <summary>The result of sending one <see cref="WarmingRequest"/>.</summary>
/// <param name="Request">The request.</param>
/// <param name="Outcome">What it achieved.</param>
/// <param name="StatusCode">The HTTP status, or null when no answer came.</param>
/// <param name="CacheStatus">The <c>x-cache</c> header (<c>HIT</c>, <c>MISS</c>...), or null.</param>
/// <param name="Elapsed">How long it took.</param>
/// <param name="Error">Why it failed (the error envelope's message, or the exception's), or null.</param>
public sealed record WarmingResult(
    WarmingRequest Request,
    WarmingOutcome Outcome,
    int? StatusCode,
    string? CacheStatus,
    TimeSpan Elapsed,
    string? Error = null)
{
    /// <summary>A failure without an answer (unreachable, timed out, an unexpected exception).</summary>
    public static WarmingResult Failure(WarmingRequest request, string error, TimeSpan elapsed = default) =>
        new(request, WarmingOutcome.Failed, null, null, elapsed, error);

    /// <summary>
    /// The outcome an answer's status and <c>x-cache</c> header mean; any success of a prompt-cache pre-warm
    /// (<paramref name="prewarmPrompt"/>) is <see cref="WarmingOutcome.PromptWarmed"/>.
    /// </summary>
    public static WarmingOutcome Classify(int statusCode, string? cacheStatus, bool prewarmPrompt = false) =>
        statusCode is < 200 or > 299 ? WarmingOutcome.Failed
        : prewarmPrompt ? WarmingOutcome.PromptWarmed
        : cacheStatus?.Trim().ToUpperInvariant() switch
        {
            "HIT" => WarmingOutcome.AlreadyCached,
            "MISS" or "REFRESH" => WarmingOutcome.Warmed,
            _ => WarmingOutcome.NotCached,
        };
}
