namespace ClaudeCache.LoadTest;

/// <summary>
/// One measured run: per-request latencies (Stopwatch ticks), wall time, failures, and the CPU time this process
/// used meanwhile (client and servers together, all cores).
/// </summary>
internal sealed record RunResult(long[] Latencies, long ElapsedTicks, int Failures, int Unexpected, TimeSpan Cpu)
{
    public int Completed => Latencies.Length;

    /// <summary>
    /// Process CPU per completed request, in µs: client plus server. Less sensitive than throughput to other
    /// tenants of a shared machine taking cores away.
    /// </summary>
    public double CpuMicrosPerRequest => Completed == 0 ? double.NaN : Cpu.TotalMicroseconds / Completed;

    public double Throughput => Completed / TimeSpanFrom(ElapsedTicks).TotalSeconds;

    public double P50Ms => PercentileMs(0.50);

    public double P99Ms => PercentileMs(0.99);

    /// <summary>Nearest-rank percentile of the sorted latencies, in milliseconds.</summary>
    public double PercentileMs(double p)
    {
        if (Latencies.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p * Latencies.Length) - 1;
        return TimeSpanFrom(Latencies[Math.Clamp(rank, 0, Latencies.Length - 1)]).TotalMilliseconds;
    }

    private static TimeSpan TimeSpanFrom(long ticks) => TimeSpan.FromSeconds((double)ticks / System.Diagnostics.Stopwatch.Frequency);
}
