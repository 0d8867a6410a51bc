using System.Text.Json;
using ClaudeCache.Costs;
using ClaudeCache.Policy;

namespace ClaudeCache.Proxy.Admin;

/// <summary>
/// A candidate configuration for the estimate: a file in the proxy's appsettings format whose
/// <c>ClaudeCache:Strategies</c> TTLs (<c>AggressiveTtl</c>, <c>StandardTtl</c>, <c>ConservativeTtl</c>,
/// <c>RealTimeTtl</c>) apply on top of a baseline (the running configuration, or the defaults). Nothing else in it is used.
/// </summary>
internal static class CandidateStrategies
{
    /// <summary>The largest candidate file read (an appsettings file is a few KB).</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>The candidate's scenario, or a one-line error naming what is wrong with it.</summary>
    public static bool TryRead(Stream json, StrategyOptions baseline, out EstimateScenario? scenario, out string? error)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        scenario = null;
        var candidate = new StrategyOptions
        {
            AggressiveTtl = baseline.AggressiveTtl,
            StandardTtl = baseline.StandardTtl,
            ConservativeTtl = baseline.ConservativeTtl,
            RealTimeTtl = baseline.RealTimeTtl,
        };
        try
        {
            var section = new ConfigurationBuilder().AddJsonStream(json).Build().GetSection(StrategyOptions.SectionName);
            if (!section.Exists())
            {
                error = $"the candidate configuration has no {StrategyOptions.SectionName} section.";
                return false;
            }

            section.Bind(candidate);
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or InvalidOperationException or JsonException)
        {
            error = "the candidate configuration is not a valid appsettings JSON file: " + ex.Message.ReplaceLineEndings(" ");
            return false;
        }

        var ttls = new[] { candidate.AggressiveTtl, candidate.StandardTtl, candidate.ConservativeTtl, candidate.RealTimeTtl };
        if (ttls.Any(t => t <= TimeSpan.Zero || t > StatsQuery.MaxRange))
        {
            error = $"the candidate configuration's TTLs under {StrategyOptions.SectionName} must all be positive and at most {StatsQuery.MaxRange.TotalDays:0} days.";
            return false;
        }

        error = null;
        scenario = EstimateScenario.FromStrategies("candidate", candidate);
        return true;
    }
}
