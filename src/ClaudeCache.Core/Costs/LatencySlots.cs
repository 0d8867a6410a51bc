namespace ClaudeCache.Costs;

/// <summary>
/// Fixed latency buckets (milliseconds, roughly ×2 apart) for percentiles that can be added across minutes and
/// instances; a percentile is reported as its bucket's upper bound.
/// </summary>
public static class LatencySlots
{
    /// <summary>Upper bounds in milliseconds; the last slot is everything above.</summary>
    public static readonly IReadOnlyList<double> UpperBoundsMs =
        [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000, double.PositiveInfinity];

    /// <summary>The slot of a latency.</summary>
    public static int Of(TimeSpan latency)
    {
        var ms = latency.TotalMilliseconds;
        for (var i = 0; i < UpperBoundsMs.Count; i++)
        {
            if (ms <= UpperBoundsMs[i])
            {
                return i;
            }
        }

        return UpperBoundsMs.Count - 1;
    }

    /// <summary>The upper bound of the slot holding the <paramref name="quantile"/> (0..1), or null with no data.</summary>
    public static double? Percentile(IReadOnlyList<long> counts, double quantile)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var total = counts.Sum();
        if (total == 0)
        {
            return null;
        }

        var rank = (long)Math.Ceiling(quantile * total);
        long seen = 0;
        for (var i = 0; i < counts.Count; i++)
        {
            seen += counts[i];
            if (seen >= Math.Max(1, rank))
            {
                return UpperBoundsMs[i];
            }
        }

        return UpperBoundsMs[^1];
    }
}
