using System.Globalization;

namespace ClaudeCache.RedisLoadTest;

/// <summary>Command-line options; every run is bounded by a request count and a time limit.</summary>
internal sealed record RedisLoadOptions
{
    /// <summary>Hit-throughput requests per configuration per round.</summary>
    public int Requests { get; init; } = 4_000;

    /// <summary>Concurrent workers in the throughput section (spread evenly over the instances of a configuration).</summary>
    public int Concurrency { get; init; } = 16;

    /// <summary>Rounds; the order of the configurations rotates every round.</summary>
    public int Rounds { get; init; } = 5;

    /// <summary>Sequential cold-memory lookups per tier and entry shape per round.</summary>
    public int Lookups { get; init; } = 2_000;

    /// <summary>Run only section 3 (lookups over a stalled and a killed Redis).</summary>
    public bool DeadOnly { get; init; }

    /// <summary>Upper bound of one measured run, whatever the request count.</summary>
    public TimeSpan MaxRunTime { get; init; } = TimeSpan.FromSeconds(30);

    public static RedisLoadOptions Parse(string[] args)
    {
        var options = new RedisLoadOptions();
        for (var i = 0; i < args.Length; i++)
        {
            int Next() => i + 1 < args.Length
                ? int.Parse(args[++i], CultureInfo.InvariantCulture)
                : throw new ArgumentException($"{args[i]} needs a value");

            options = args[i] switch
            {
                "--quick" => options with { Requests = 1_500, Rounds = 3, Lookups = 1_000 },
                "--requests" => options with { Requests = Next() },
                "--concurrency" => options with { Concurrency = Next() },
                "--rounds" => options with { Rounds = Next() },
                "--lookups" => options with { Lookups = Next() },
                "--dead-only" => options with { DeadOnly = true },
                "--max-seconds" => options with { MaxRunTime = TimeSpan.FromSeconds(Next()) },
                _ => throw new ArgumentException(
                    $"Unknown option {args[i]}. Options: --quick --requests N --concurrency C --rounds R --lookups N --max-seconds S --dead-only"),
            };
        }

        if (options.Requests <= 0 || options.Concurrency <= 0 || options.Rounds <= 0 || options.Lookups <= 0)
        {
            throw new ArgumentException("Counts must be positive.");
        }

        return options;
    }
}
