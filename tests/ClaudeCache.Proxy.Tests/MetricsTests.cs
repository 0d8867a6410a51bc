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
        Assert.Equal((double)totals.GetProperty("costUsd").GetDecimal(), Sum(samples, "claudecache_cost_usd_total"), 9);
        Assert.Equal((double)totals.GetProperty("savingsUsd").GetDecimal(), Sum(samples, "claudecache_savings_usd_total"), 9);
        Assert.Equal(totals.GetProperty("outputTokens").GetInt64(), Sum(samples, "claudecache_tokens_total", "class", "output"));
        Assert.Equal(5, Sum(samples, "claudecache_request_duration_seconds_count"));
        Assert.DoesNotContain(samples, s => s.Labels.Contains("key", StringComparison.Ordinal));
        Assert.DoesNotContain(samples, s => s.Labels.Contains("otel_scope_name", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name == "claudecache_cache_entries" && s.Value > 0);
        Assert.Contains(samples, s => s.Name == "claudecache_cache_bytes" && s.Value > 0);
    }

    [Fact]
    public async Task Metrics_BeforeAnyRequest_HaveTheirSeriesAtZero()
    {
        await using var proxy = await ProxyHost.StartAsync();

        using var response = await proxy.Client.GetAsync("metrics", TestContext.Current.CancellationToken);
        var samples = Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Contains(samples, s => s.Name == "claudecache_store_errors_total" && s.Labels.Contains("operation=\"read\"", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name == "claudecache_requests_total" && s.Labels.Contains("outcome=\"hit\"", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name == "claudecache_requests_total" && s.Labels.Contains("outcome=\"miss\"", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name == "claudecache_ledger_folded_total");
        Assert.Contains(samples, s => s.Name == "claudecache_cache_entries");
        Assert.Equal(0, Sum(samples, "claudecache_requests_total"));
        Assert.Equal(0, Sum(samples, "claudecache_store_errors_total"));
    }

    [Fact]
    public async Task ThousandsOfModelNames_KeepTheSeriesCountSmall_AndNameModelsAsStatsDo()
    {
        await using var proxy = await ProxyHost.StartAsync();
        const int Models = 5_000;
        await Parallel.ForAsync(0, Models, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = TestContext.Current.CancellationToken }, async (i, _) =>
        {
            // Each matches the price table's claude-sonnet-4-5 prefix, so each is priced: none is "unknown".
            await Requests.SendAsync(proxy.Client, Requests.Body("Explain escrow", model: $"claude-sonnet-4-5-x{i}"));
        });
        var totals = await CostAccountingTests.StatsAsync(proxy, Models);
        using var admin = proxy.CreateAdminClient();
        using var stats = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync("admin/stats?window=24h", TestContext.Current.CancellationToken));

        using var response = await proxy.Client.GetAsync("metrics", TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var samples = Parse(text);
        if (Environment.GetEnvironmentVariable("CLAUDECACHE_MEASURE") is { Length: > 0 } measure)
        {
            await File.AppendAllTextAsync(measure, $"models: {samples.Count} series, scrape {text.Length} bytes\n", TestContext.Current.CancellationToken);
        }

        Assert.Equal(Models, totals.GetProperty("requests").GetInt64());
        Assert.InRange(samples.Count, 1, 400);
        Assert.True(text.Length < 100_000, $"a scrape is {text.Length} bytes");
        var modelLabels = samples.Select(s => ModelLabel().Match(s.Labels)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Equal(["claude-sonnet-4-5", "other"], modelLabels.Order(StringComparer.Ordinal));
        // The stats name the model as the metrics do.
        var byModel = stats.RootElement.GetProperty("byModel");
        Assert.Equal("claude-sonnet-4-5", Assert.Single(byModel.EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(Models, Sum(samples, "claudecache_requests_total", "model", "claude-sonnet-4-5"));
    }

    [Fact]
    public async Task PromptCacheMetrics_AgreeWithTheLedger()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var system = PromptCacheAccountingTests.SharedSystem;
        (string, string) marked = (PromptCacheAccountingTests.Breakpoints, "always");

        // One write never read (a negative saving), then a write and its read.
        await PromptCacheAccountingTests.CallAsync(proxy, Requests.Body("Analyse 12 Oak Street", system: system + " Once."), marked);
        await PromptCacheAccountingTests.CallAsync(proxy, Requests.Body("Analyse 14 Elm Road", system: system), marked);
        await PromptCacheAccountingTests.CallAsync(proxy, Requests.Body("Analyse 16 Ash Lane", system: system), marked);
        var totals = await CostAccountingTests.StatsAsync(proxy, 3);

        using var response = await proxy.Client.GetAsync("metrics", TestContext.Current.CancellationToken);
        var samples = Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(3, totals.GetProperty("promptCacheMarkedCalls").GetInt64());
        Assert.Equal(3, Sum(samples, "claudecache_prompt_cache_calls_total", "model", "claude-sonnet-4-5"));
        Assert.Equal((double)totals.GetProperty("promptCacheSavedUsd").GetDecimal(), Sum(samples, "claudecache_prompt_cache_saved_usd"), 9);
        Assert.Equal((double)totals.GetProperty("promptCacheWriteCostUsd").GetDecimal(), Sum(samples, "claudecache_prompt_cache_write_cost_usd_total"), 9);
        Assert.True(Sum(samples, "claudecache_prompt_cache_write_cost_usd_total") > 0);
        Assert.All(samples.Where(s => s.Name.StartsWith("claudecache_prompt_cache", StringComparison.Ordinal)),
            s => Assert.Contains("strategy=\"", s.Labels, StringComparison.Ordinal));
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

    [GeneratedRegex("model=\"([^\"]*)\"")]
    private static partial Regex ModelLabel();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+0-9.eE]+|NaN|\+Inf|-Inf)( \d+)?$""")]
    private static partial Regex SampleLine();
}

[CollectionDefinition(nameof(MetricsTests), DisableParallelization = true)]
public sealed class MetricsRunAlone;
