using System.Globalization;
using System.Text.RegularExpressions;
using ClaudeCache.Proxy.Tests.Infrastructure;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// The product Meter is process-wide by name, as OpenTelemetry listens to it: this test runs alone so that no
/// other proxy in the test process adds to the counters it reads.
/// </summary>
[Collection(nameof(MetricsTests))]
public sealed partial class MetricsTests
{
    [Fact]
    public async Task Metrics_ParseAsPrometheusText_AndAgreeWithTheLedger()
    {
        await using var proxy = await ProxyHost.StartAsync();
        foreach (var prompt in new[] { "Explain escrow", "Explain escrow", "Analyse 12 Oak Street", "Explain escrow" })
        {
            await Requests.SendAsync(proxy.Client, Requests.Body(prompt));
        }

        await Requests.SendAsync(proxy.Client, Requests.Body("One-off"), ("Cache-Control", "no-store"));
        var totals = await CostAccountingTests.StatsAsync(proxy, 5);

        using var response = await proxy.Client.GetAsync("metrics");
        var text = await response.Content.ReadAsStringAsync();
        var samples = Parse(text);

        Assert.Equal(totals.GetProperty("hits").GetInt64(), Sum(samples, "claudecache_requests_total", "outcome", "hit"));
        Assert.Equal(totals.GetProperty("misses").GetInt64(), Sum(samples, "claudecache_requests_total", "outcome", "miss"));
        Assert.Equal(totals.GetProperty("bypasses").GetInt64(), Sum(samples, "claudecache_requests_total", "outcome", "bypass"));
        Assert.Equal((double)totals.GetProperty("costUsd").GetDecimal(), Sum(samples, "claudecache_cost_USD_total"), 9);
        Assert.Equal((double)totals.GetProperty("savingsUsd").GetDecimal(), Sum(samples, "claudecache_savings_USD_total"), 9);
        Assert.Equal(totals.GetProperty("outputTokens").GetInt64(), Sum(samples, "claudecache_tokens_total", "class", "output"));
        Assert.Equal(5, Sum(samples, "claudecache_request_duration_seconds_count"));
        Assert.DoesNotContain(samples, s => s.Labels.Contains("key", StringComparison.Ordinal));
    }

    private sealed record Sample(string Name, string Labels, double Value);

    private static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a Prometheus sample line: {line}");
            samples.Add(new Sample(match.Groups["name"].Value, match.Groups["labels"].Value, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return samples;
    }

    private static double Sum(List<Sample> samples, string name, string? label = null, string? value = null) =>
        samples.Where(s => s.Name == name && (label is null || s.Labels.Contains($"{label}=\"{value}\"", StringComparison.Ordinal))).Sum(s => s.Value);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+0-9.eE]+|NaN|\+Inf|-Inf)( \d+)?$""")]
    private static partial Regex SampleLine();
}

[CollectionDefinition(nameof(MetricsTests), DisableParallelization = true)]
public sealed class MetricsRunAlone;
