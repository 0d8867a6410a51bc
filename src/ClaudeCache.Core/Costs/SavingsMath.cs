namespace ClaudeCache.Costs;

/// <summary>Small arithmetic for savings reports: projections from a trailing window, and return on investment.</summary>
public static class SavingsMath
{
    /// <summary>An average Gregorian month (365.25 / 12 days), so twelve months make a year.</summary>
    public static readonly TimeSpan AverageMonth = TimeSpan.FromDays(30.4375);

    /// <summary>An average year (365.25 days).</summary>
    public static readonly TimeSpan AverageYear = TimeSpan.FromDays(365.25);

    /// <summary>
    /// Scales <paramref name="amount"/>, observed over <paramref name="window"/>, to <paramref name="target"/> at the
    /// same rate (7 days of savings → a month: <c>Project(x, 7 days, AverageMonth)</c>).
    /// </summary>
    public static decimal Project(decimal amount, TimeSpan window, TimeSpan target)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(target, TimeSpan.Zero);
        return amount * target.Ticks / window.Ticks;
    }

    /// <summary>
    /// (savings − infrastructure cost) / infrastructure cost: 1.5 means every dollar spent on the cache returned 2.50.
    /// Null when the infrastructure cost is 0, where the ratio has no value.
    /// </summary>
    public static decimal? ReturnOnInvestment(decimal savings, decimal infrastructureCost)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(infrastructureCost);
        return infrastructureCost == 0 ? null : (savings - infrastructureCost) / infrastructureCost;
    }
}
