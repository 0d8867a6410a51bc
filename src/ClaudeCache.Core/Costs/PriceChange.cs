namespace ClaudeCache.Costs;

/// <summary>
/// A dated change to a family's standard rates: the classes given replace the earlier rates from
/// <see cref="EffectiveFrom"/> (00:00 UTC) on; the classes left null keep the earlier rates.
/// </summary>
/// <remarks>
/// Kept as a list in the price file rather than edited in place so a ledger recomputed for an old month
/// bills that month at the prices of the day (Sonnet 5.5's cache read was cut on 2026-10-07).
/// </remarks>
public sealed record PriceChange(
    DateOnly EffectiveFrom,
    decimal? Input,
    decimal? CacheWrite5m,
    decimal? CacheWrite1h,
    decimal? CacheRead,
    decimal? Output)
{
    /// <summary>True when the change applies to a request made at <paramref name="at"/>.</summary>
    public bool IsInEffectAt(DateTimeOffset at) =>
        at.UtcDateTime >= EffectiveFrom.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    /// <summary>The earlier rates with this change's classes replaced.</summary>
    public TokenRates ApplyTo(TokenRates rates) => new(
        Input ?? rates.Input,
        CacheWrite5m ?? rates.CacheWrite5m,
        CacheWrite1h ?? rates.CacheWrite1h,
        CacheRead ?? rates.CacheRead,
        Output ?? rates.Output);
}
