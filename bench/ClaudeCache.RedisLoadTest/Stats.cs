using System.Diagnostics;

namespace ClaudeCache.RedisLoadTest;

/// <summary>Sorted latencies (Stopwatch ticks) of one run, with wall time and failure counts.</summary>
internal sealed record Sample(long[] Latencies, long ElapsedTicks, int Failures, int Unexpected)
{
    public int Completed => Latencies.Length;

    public double Throughput => Completed / ((double)ElapsedTicks / Stopwatch.Frequency);

    public double P50Ms => Stats.PercentileMs(Latencies, 0.50);

    public double P99Ms => Stats.PercentileMs(Latencies, 0.99);

    public double P50Us => P50Ms * 1000;

    public double P99Us => P99Ms * 1000;
}

internal static class Stats
{
    /// <summary>Nearest-rank percentile of sorted ticks, in milliseconds.</summary>
    public static double PercentileMs(long[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
