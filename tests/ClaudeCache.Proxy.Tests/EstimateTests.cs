using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing.Redis;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// The what-if estimate (docs/estimate.md): a generated trace goes through the proxy over days of its clock — keys of
/// every strategy, repeats inside and outside their TTLs, refreshes and bypasses — and <c>/admin/estimate</c> replayed
/// under the current TTLs must come out as what the ledger says the proxy realised; the ceiling and longer TTLs at least that.
/// </summary>
public sealed class EstimateTests(ITestOutputHelper output)
{
    private static readonly string[] Contexts = ["explanation", "property_analysis", "market_analysis", "coaching", "one_off"];

    /// <summary>Longer TTLs than the defaults for every strategy (4× and more).</summary>
    private const string LongerTtls = """
        {"ClaudeCache":{"Strategies":{"AggressiveTtl":"4.00:00:00","StandardTtl":"1.00:00:00","ConservativeTtl":"06:00:00","RealTimeTtl":"01:00:00"}}}
        """;

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public async Task EstimateOfTheCurrentConfiguration_IsWhatTheProxyRealised_AndTheCeilingAndLongerTtlsAreNoLess(string provider)
    {
        await using var redis = provider == "redis" ? await RedisServer.StartAsync() : null;
        await using var proxy = await ProxyHost.StartAsync(settings: redis is null ? null : RedisSettings(redis.EndPoint));
        var sent = await SendTraceAsync(proxy, requests: 320, seed: 12);

        var stats = await CostAccountingTests.StatsAsync(proxy, sent.Requests, "window=7d");
        Assert.Equal(sent.Requests, stats.GetProperty("requests").GetInt64());
        Assert.Equal(sent.Hits, stats.GetProperty("hits").GetInt64());
        var realisedSavings = stats.GetProperty("savingsUsd").GetDecimal();

        using var admin = proxy.CreateAdminClient();
        using var content = new StringContent(LongerTtls, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await admin.PostAsync("admin/estimate?days=7", content, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var report = json.RootElement;
        output.WriteLine(report.ToString());
        var scenarios = report.GetProperty("scenarios").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s);
        var current = scenarios["current"];
        var candidate = scenarios["candidate"];
        var ceiling = scenarios["ceiling"];

        Assert.Equal(sent.Requests, report.GetProperty("requests").GetInt64());
        Assert.Equal(sent.Hits, report.GetProperty("realised").GetProperty("hits").GetInt64());
        Assert.Equal(realisedSavings, report.GetProperty("realised").GetProperty("savingsUsd").GetDecimal());

        // The acceptance: the current configuration, replayed, is what the proxy realised, within 1%.
        AssertWithinOnePercent(sent.Hits, current.GetProperty("hits").GetInt64());
        AssertWithinOnePercent(realisedSavings, current.GetProperty("savingsUsd").GetDecimal());

        // The trace has repeats past their TTL: the ceiling serves them, so it is above what was realised.
        Assert.True(sent.RepeatsMissed > 0, "the trace must repeat keys outside their TTL");
        Assert.True(ceiling.GetProperty("hits").GetInt64() > sent.Hits);
        Assert.True(ceiling.GetProperty("savingsUsd").GetDecimal() > realisedSavings);
        var fraction = report.GetProperty("realised").GetProperty("fractionOfCeiling").GetDouble();
        Assert.InRange(fraction, 0.01, 0.999);
        Assert.Equal((double)(realisedSavings / ceiling.GetProperty("savingsUsd").GetDecimal()), fraction, 6);

        Assert.True(candidate.GetProperty("hits").GetInt64() >= current.GetProperty("hits").GetInt64());
        Assert.True(candidate.GetProperty("savingsUsd").GetDecimal() >= current.GetProperty("savingsUsd").GetDecimal());
        Assert.True(ceiling.GetProperty("hits").GetInt64() >= candidate.GetProperty("hits").GetInt64());
        Assert.Equal(86400 * 4, candidate.GetProperty("ttlSeconds").GetProperty("aggressive").GetDouble());
    }

    [Fact]
    public async Task Estimate_NeedsTheAdminToken_AndRefusesBadInput_WithA400Envelope()
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = proxy.BaseAddress };
        using var refused = await anonymous.GetAsync("admin/estimate?days=7", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var admin = proxy.CreateAdminClient();
        foreach (var query in new[] { "days=0", "days=-1", "days=abc", "days=401", "days=NaN", "to=yesterday" })
        {
            using var bad = await admin.GetAsync("admin/estimate?" + query, TestContext.Current.CancellationToken);
            await AssertInvalidRequestAsync(bad, query.Split('=')[0]);
        }

        foreach (var body in new[] { "{not json", "{\"ClaudeCache\":{}}", "{\"ClaudeCache\":{\"Strategies\":{\"StandardTtl\":\"soon\"}}}", "{\"ClaudeCache\":{\"Strategies\":{\"StandardTtl\":\"-01:00:00\"}}}" })
        {
            using var content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
            using var bad = await admin.PostAsync("admin/estimate", content, TestContext.Current.CancellationToken);
            await AssertInvalidRequestAsync(bad, "candidate configuration");
        }
    }

    internal static Dictionary<string, string?> RedisSettings(string configuration) => new()
    {
        ["ClaudeCache:Storage:Provider"] = "redis",
        ["ClaudeCache:Storage:Redis:Configuration"] = configuration,
        ["ClaudeCache:Storage:Redis:KeyPrefix"] = "t" + Guid.NewGuid().ToString("N")[..8] + ":",
        ["ClaudeCache:Storage:Redis:OperationTimeout"] = "00:00:00.500",
    };

    /// <summary>
    /// A trace over about four days of the proxy's clock: 40 prompts of five context types (every strategy), popular
    /// ones more often, 10 s to 40 min apart, one in twenty a refresh and one in twenty a bypass.
    /// </summary>
    internal static async Task<(long Requests, long Hits, long RepeatsMissed)> SendTraceAsync(ProxyHost proxy, int requests, int seed)
    {
        var random = new Random(seed);
        var seen = new HashSet<int>();
        long hits = 0, repeatsMissed = 0;
        for (var i = 0; i < requests; i++)
        {
            proxy.Clock.Advance(TimeSpan.FromSeconds(random.Next(10, 2400)));
            var prompt = random.Next(random.Next(1, 41));
            var headers = new List<(string, string)> { ("x-cache-context", Contexts[prompt % Contexts.Length]) };
            var roll = random.Next(20);
            if (roll == 0)
            {
                headers.Add(("Cache-Control", "no-cache"));
            }
            else if (roll == 1)
            {
                headers.Add(("Cache-Control", "no-store"));
            }

            var body = Requests.Body($"Summarise listing number {prompt.ToString(CultureInfo.InvariantCulture)} for a buyer.", maxTokens: 200 + (prompt * 10));
            var (response, _) = await Requests.SendAsync(proxy.Client, body, [.. headers]);
            response.EnsureSuccessStatusCode();
            var status = response.Header("x-cache");
            hits += status == "HIT" ? 1 : 0;
            repeatsMissed += status == "MISS" && !seen.Add(prompt) && prompt % Contexts.Length != 4 ? 1 : 0;
            await proxy.SettleAsync(); // stored before the clock moves on, as a real answer is long before its next repeat
        }

        return (requests, hits, repeatsMissed);
    }

    private static void AssertWithinOnePercent(decimal expected, decimal actual) =>
        Assert.True(Math.Abs(actual - expected) <= Math.Abs(expected) / 100, $"expected {expected} within 1%, got {actual}");

    private static async Task AssertInvalidRequestAsync(HttpResponseMessage response, string mentions)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains(mentions, json.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
