using ClaudeCache.Anthropic;
using ClaudeCache.Caching;

namespace ClaudeCache.Costs;

/// <summary>Prices <c>GetOrCallAsync</c> results with the price table: what a miss cost, what a hit avoided.</summary>
public sealed class PriceTableCostEstimator(CostCalculator calculator, TimeProvider timeProvider) : ICostEstimator
{
    /// <inheritdoc />
    public decimal? EstimateCost(string model, TokenUsage usage)
    {
        var cost = calculator.Calculate(model, usage, timeProvider.GetUtcNow(), new CostContext(usage.ServiceTier == "batch"));
        return cost.PriceKnown ? cost.Total : null;
    }
}
