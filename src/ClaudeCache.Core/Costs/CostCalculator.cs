using ClaudeCache.Anthropic;

namespace ClaudeCache.Costs;

/// <summary>Prices a request's <see cref="TokenUsage"/> with a <see cref="PriceTable"/> (rules: shared PRICING.md, docs/pricing.md).</summary>
public sealed class CostCalculator(PriceTable prices)
{
    private const decimal TokensPerRateUnit = 1_000_000m;

    private readonly PriceTable prices = prices ?? throw new ArgumentNullException(nameof(prices));

    /// <summary>The price table's prefix that <paramref name="model"/> matched, or null (see <see cref="PriceTable.LabelOf"/>).</summary>
    public string? LabelOf(string model) => prices.LabelOf(model);

    /// <summary>
    /// What <paramref name="usage"/> cost on <paramref name="model"/> (the response's snapshot id or an alias) for a
    /// request made at <paramref name="at"/>; <see cref="RequestCost.Unknown"/> when the model has no price.
    /// </summary>
    public RequestCost Calculate(string model, TokenUsage usage, DateTimeOffset at, CostContext context = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!prices.TryFind(model, out ModelPrice? price))
        {
            return RequestCost.Unknown;
        }

        TokenRates rates = price.RatesAt(at);
        if (price.LongPrompt is { } tier && usage.TotalInputTokens > tier.AboveTokens)
        {
            rates = tier.Rates;
        }

        // A speed the family has no rates for (or "standard") bills at the standard rates.
        if (context.Speed is { } speed && price.Speeds.TryGetValue(speed, out TokenRates speedRates))
        {
            rates = speedRates;
        }

        decimal multiplier = 1m;
        if (context.Batch || string.Equals(usage.ServiceTier, "batch", StringComparison.OrdinalIgnoreCase))
        {
            multiplier *= prices.BatchMultiplier;
        }

        if (context.IsRegional)
        {
            multiplier *= price.RegionalMultiplier;
        }

        // Writes without a per-TTL breakdown (or a breakdown that does not add up) are 5-minute writes: the default TTL.
        long write1h = usage.CacheCreation1h;
        long write5m = Math.Max(usage.CacheCreation5m, usage.CacheCreationInputTokens - write1h);

        return new RequestCost(
            PriceKnown: true,
            Input: Cost(usage.InputTokens, rates.Input, multiplier),
            CacheWrite5m: Cost(write5m, rates.CacheWrite5m, multiplier),
            CacheWrite1h: Cost(write1h, rates.CacheWrite1h, multiplier),
            CacheRead: Cost(usage.CacheReadInputTokens, rates.CacheRead, multiplier),
            Output: Cost(usage.OutputTokens, rates.Output, multiplier));
    }

    /// <summary>
    /// What the prompt of <paramref name="usage"/> would have cost without prompt caching: every prompt token
    /// (uncached input, cache writes and reads) at the plain input rate of <paramref name="model"/>, with the same
    /// tier, speed, batch and region as <see cref="Calculate"/> (the prompt's length, and so its long-prompt tier, is
    /// the same either way). Null when the model has no price.
    /// </summary>
    public decimal? WithoutPromptCache(string model, TokenUsage usage, DateTimeOffset at, CostContext context = default)
    {
        var plain = usage with { InputTokens = usage.TotalInputTokens, CacheCreationInputTokens = 0, CacheReadInputTokens = 0, CacheCreation5m = 0, CacheCreation1h = 0 };
        var cost = Calculate(model, plain, at, context);
        return cost.PriceKnown ? cost.Input : null;
    }

    private static decimal Cost(long tokens, decimal ratePerMillion, decimal multiplier) =>
        tokens * ratePerMillion / TokensPerRateUnit * multiplier;
}
