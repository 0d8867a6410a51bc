namespace ClaudeCache.Costs;

/// <summary>
/// What one request cost in USD, by token class, unrounded (round only for display).
/// When <see cref="PriceKnown"/> is false every amount is 0 and means "unknown", never "free".
/// </summary>
/// <param name="PriceKnown">False when the model is not in the price table.</param>
/// <param name="Input">Uncached input tokens.</param>
/// <param name="CacheWrite5m">Cache writes with the 5-minute TTL (and writes without a TTL breakdown).</param>
/// <param name="CacheWrite1h">Cache writes with the 1-hour TTL.</param>
/// <param name="CacheRead">Cache reads.</param>
/// <param name="Output">Generated tokens.</param>
public readonly record struct RequestCost(
    bool PriceKnown,
    decimal Input,
    decimal CacheWrite5m,
    decimal CacheWrite1h,
    decimal CacheRead,
    decimal Output)
{
    /// <summary>The cost of a request whose model has no price.</summary>
    public static RequestCost Unknown => default;

    /// <summary>The sum of the parts.</summary>
    public decimal Total => InputSide + Output;

    /// <summary>What the prompt cost: uncached input, cache writes and cache reads.</summary>
    public decimal InputSide => Input + CacheWrite5m + CacheWrite1h + CacheRead;
}
