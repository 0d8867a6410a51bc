using ClaudeCache.Policy;

namespace ClaudeCache.Costs;

/// <summary>
/// A configuration the request log is replayed under: the TTL each request was served under (<see cref="Current"/>),
/// a TTL per strategy (a candidate configuration), or no expiry at all (<see cref="Ceiling"/>). Whether a request may
/// be served from the cache or stored is what its policy said when it was served, in every scenario: a refresh or a
/// bypass stays a miss, and the no-cache strategy never hits.
/// </summary>
/// <param name="Name">How the report names it.</param>
/// <param name="Ttls">TTL per strategy name (<see cref="StrategyNames.ToHeader"/>); a strategy it lacks keeps the TTL
/// it was served under. Null: every request keeps its own (or none expires, with <paramref name="Infinite"/>).</param>
/// <param name="Infinite">No entry ever expires: every repeat the policy let the cache serve is served.</param>
public sealed record EstimateScenario(string Name, IReadOnlyDictionary<string, TimeSpan>? Ttls, bool Infinite = false)
{
    /// <summary>The TTL each request was served under: what the proxy did, replayed.</summary>
    public static EstimateScenario Current { get; } = new("current", null);

    /// <summary>Every repeat served: the most the cache could have saved on this traffic.</summary>
    public static EstimateScenario Ceiling { get; } = new("ceiling", null, Infinite: true);

    /// <summary>The TTLs of <paramref name="strategies"/> (the <c>ClaudeCache:Strategies</c> section of a configuration).</summary>
    public static EstimateScenario FromStrategies(string name, StrategyOptions strategies)
    {
        ArgumentNullException.ThrowIfNull(strategies);
        var ttls = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        foreach (var strategy in Enum.GetValues<CacheStrategy>().Where(s => s != CacheStrategy.NoCache))
        {
            ttls[StrategyNames.ToHeader(strategy)] = strategies.GetTtl(strategy);
        }

        return new EstimateScenario(name, ttls);
    }

    /// <summary>How long <paramref name="row"/>'s answer would be served under this scenario; zero when it is not stored.</summary>
    public TimeSpan TtlOf(RequestLogRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (!row.Store)
        {
            return TimeSpan.Zero;
        }

        if (Infinite)
        {
            return TimeSpan.MaxValue;
        }

        return Ttls is not null && Ttls.TryGetValue(row.Strategy, out var ttl) ? ttl : TimeSpan.FromSeconds(row.TtlSeconds);
    }
}
