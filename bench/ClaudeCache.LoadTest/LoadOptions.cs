using System.Globalization;

namespace ClaudeCache.LoadTest;

/// <summary>Command-line options; every run is bounded by a request count and a time limit.</summary>
internal sealed record LoadOptions
{
    /// <summary>Hit-throughput requests per target per round.</summary>
    public int Requests { get; init; } = 4_000;

    /// <summary>Concurrent workers in the hit-throughput section.</summary>
    public int Concurrency { get; init; } = 16;

    /// <summary>Rounds; each round runs the baseline then the proxy (order alternates every round).</summary>
    public int Rounds { get; init; } = 5;

    /// <summary>Miss and streamed-miss requests per target per round.</summary>
    public int LatencyRequests { get; init; } = 400;

    /// <summary>Workers in the miss sections: 1 measures the added latency, not queueing on a saturated machine.</summary>
    public int LatencyConcurrency { get; init; } = 1;

    /// <summary>Only the hit sections (throughput and accounting on/off): no footprint, no misses (for profiling).</summary>
    public bool HitsOnly { get; init; }

    /// <summary>Hit sections: warm every target up, in turns, for at least this long before measuring.</summary>
    public int WarmupSeconds { get; init; } = 15;

    /// <summary>Only the hit runs by request size, measured by wrk (<c>--sizes</c>).</summary>
    public bool Sizes { get; init; }

    /// <summary>Only the miss of a unique 180 KB agent turn, <see cref="Rounds"/> runs (<c>--large-miss</c>).</summary>
    public bool LargeMiss { get; init; }

    /// <summary>Seconds per wrk run in <c>--sizes</c>.</summary>
    public int SizeSeconds { get; init; } = 8;

    /// <summary>Upper bound of one measured run, whatever the request count.</summary>
    public TimeSpan MaxRunTime { get; init; } = TimeSpan.FromSeconds(30);

    public static LoadOptions Parse(string[] args)
    {
        var options = new LoadOptions();
        for (var i = 0; i < args.Length; i++)
        {
            int Next() => i + 1 < args.Length
                ? int.Parse(args[++i], CultureInfo.InvariantCulture)
                : throw new ArgumentException($"{args[i]} needs a value");

            options = args[i] switch
            {
                "--quick" => options with { Requests = 1_500, Rounds = 3, LatencyRequests = 200, WarmupSeconds = 5 },
                "--hits-only" => options with { HitsOnly = true },
                "--sizes" => options with { Sizes = true },
                "--large-miss" => options with { LargeMiss = true },
                "--size-seconds" => options with { SizeSeconds = Next() },
                "--requests" => options with { Requests = Next() },
                "--concurrency" => options with { Concurrency = Next() },
                "--rounds" => options with { Rounds = Next() },
                "--latency-requests" => options with { LatencyRequests = Next() },
                "--latency-concurrency" => options with { LatencyConcurrency = Next() },
                "--warmup-seconds" => options with { WarmupSeconds = Next() },
                "--max-seconds" => options with { MaxRunTime = TimeSpan.FromSeconds(Next()) },
                _ => throw new ArgumentException(
                    $"Unknown option {args[i]}. Options: --quick --hits-only --sizes --large-miss --size-seconds S --requests N --concurrency C --rounds R " +
                    "--latency-requests N --latency-concurrency C --warmup-seconds S --max-seconds S"),
            };
        }

        if (options.Requests <= 0 || options.Concurrency <= 0 || options.Rounds <= 0 || options.LatencyRequests <= 0 || options.LatencyConcurrency <= 0)
        {
            throw new ArgumentException("Counts must be positive.");
        }

        return options;
    }
}
