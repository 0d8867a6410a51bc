namespace ClaudeCache.Costs;

/// <summary>
/// The answer of <c>/admin/estimate</c> and <c>claudecache estimate</c>: for the logged traffic of a range, what the
/// proxy realised, what each scenario would have hit and saved, and the ceiling (every repeat served).
/// </summary>
/// <param name="From">Start of the range.</param>
/// <param name="To">End of the range.</param>
/// <param name="Requests">Requests in the request log over the range.</param>
/// <param name="Keys">Distinct cache keys among them.</param>
/// <param name="Realised">What the proxy did: the outcomes and costs as logged.</param>
/// <param name="Scenarios">The current TTLs replayed, any candidates, and the ceiling, in that order.</param>
public sealed record EstimateReport(
    DateTimeOffset From,
    DateTimeOffset To,
    long Requests,
    long Keys,
    EstimateFigures Realised,
    IReadOnlyList<EstimateFigures> Scenarios);
