namespace ClaudeCache.Costs;

/// <summary>What one scenario (or what the proxy realised) comes to on the logged traffic.</summary>
/// <param name="Name">realised, current, candidate, ceiling, or a name of the caller's.</param>
/// <param name="TtlSeconds">The TTL per strategy the scenario applies, seconds; null when each request keeps its own
/// (realised, current) or none expires (ceiling).</param>
/// <param name="Requests">Requests replayed.</param>
/// <param name="Hits">Requests served from the cache.</param>
/// <param name="Misses">Requests that went upstream (misses, refreshes, bypasses, errors).</param>
/// <param name="CostUsd">What the calls upstream cost.</param>
/// <param name="SavingsUsd">What the hits avoided: each the cost of the call whose answer it served.</param>
/// <param name="HitRatio">Hits ÷ requests (0 without requests).</param>
/// <param name="FractionOfCeiling">Savings ÷ the ceiling's savings; null when the ceiling saves nothing.</param>
public sealed record EstimateFigures(
    string Name,
    IReadOnlyDictionary<string, double>? TtlSeconds,
    long Requests,
    long Hits,
    long Misses,
    decimal CostUsd,
    decimal SavingsUsd,
    double HitRatio,
    double? FractionOfCeiling);
