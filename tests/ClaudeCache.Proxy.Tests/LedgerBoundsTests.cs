using System.Net;
using System.Text.Json;
using ClaudeCache.Costs;
using ClaudeCache.Proxy.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// What clients control (the context header, the model name) cannot grow the ledger, its file or the stats
/// without bound; the admin API refuses every out-of-range parameter with a 400, never a 5xx.
/// </summary>
public sealed class LedgerBoundsTests
{
    [Fact]
    public async Task ManyDistinctContexts_AreFoldedIntoOther_AndTheLedgerStaysSmall()
    {
        await using var proxy = await ProxyHost.StartAsync();
        const int Contexts = 5_000;
        var longTail = new string('x', 8 * 1024);
        await Parallel.ForAsync(0, Contexts, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = TestContext.Current.CancellationToken }, async (i, _) =>
        {
            // The same prompt: after the first, every request is a hit, so this measures the ledger, not the upstream.
            using var response = (await Requests.SendAsync(proxy.Client, Requests.Body("Explain escrow"), ("x-cache-context", $"ctx-{i}-{longTail}"))).Response;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });

        var totals = await CostAccountingTests.StatsAsync(proxy, Contexts);
        using var admin = proxy.CreateAdminClient();
        var statsJson = await admin.GetStringAsync("admin/stats?window=24h", TestContext.Current.CancellationToken);
        await proxy.Services.GetRequiredService<SavingsLedger>().FlushAsync(TestContext.Current.CancellationToken);

        var rows = Scalar(proxy.DatabasePath, "SELECT COUNT(*) FROM ledger");
        var longest = Scalar(proxy.DatabasePath, "SELECT MAX(LENGTH(context)) FROM ledger");
        var other = Scalar(proxy.DatabasePath, "SELECT SUM(requests) FROM ledger WHERE context = 'other'");
        var fileBytes = new FileInfo(proxy.DatabasePath).Length + (File.Exists(proxy.DatabasePath + "-wal") ? new FileInfo(proxy.DatabasePath + "-wal").Length : 0);
        TestContext.Current.SendDiagnosticMessage($"{Contexts} contexts of 8 KB: {rows} ledger rows, file+wal {fileBytes} bytes, /admin/stats {statsJson.Length} chars");
        if (Environment.GetEnvironmentVariable("CLAUDECACHE_MEASURE") is { Length: > 0 } measure)
        {
            await File.AppendAllTextAsync(measure, $"contexts: {rows} rows, {fileBytes} bytes, stats {statsJson.Length} chars\n", TestContext.Current.CancellationToken);
        }

        Assert.Equal(Contexts, totals.GetProperty("requests").GetInt64());
        // At most 100 contexts (plus "other") per minute the test spans.
        Assert.InRange(rows, 2, 2 * (LedgerLimits.Default.MaxDistinctValuesPerHour + 1));
        Assert.Equal(LedgerLimits.Default.MaxValueLength, longest);
        Assert.Equal(Contexts - LedgerLimits.Default.MaxDistinctValuesPerHour, other);
        Assert.True(fileBytes < 2 * 1024 * 1024, $"the file holds {fileBytes} bytes");
        Assert.True(statsJson.Length < 200_000, $"/admin/stats is {statsJson.Length} chars");
    }

    [Fact]
    public async Task ManyDistinctModels_StaySmallInTheLedger_AndInMetrics()
    {
        await using var proxy = await ProxyHost.StartAsync();
        const int Models = 5_000;
        await Parallel.ForAsync(0, Models, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = TestContext.Current.CancellationToken }, async (i, _) =>
        {
            // Unknown to the price table: kept by id in the ledger (up to the distinct-value cap), "other" in metrics.
            await Requests.SendAsync(proxy.Client, Requests.Body("Explain escrow", model: $"no-such-model-{i}"));
        });

        await CostAccountingTests.StatsAsync(proxy, Models);
        using var admin = proxy.CreateAdminClient();
        using var stats = JsonDocument.Parse(await admin.GetStringAsync("admin/stats?window=24h", TestContext.Current.CancellationToken));
        var byModel = stats.RootElement.GetProperty("byModel");

        Assert.InRange(byModel.GetArrayLength(), 2, LedgerLimits.Default.MaxDistinctValuesPerHour + 1);
        Assert.Contains(byModel.EnumerateArray(), m => m.GetProperty("name").GetString() == "other");
    }

    [Theory]
    [InlineData("window=99999999d")]
    [InlineData("window=1e308d")]
    [InlineData("window=Infinityd")]
    [InlineData("window=NaNh")]
    [InlineData("window=-5m")]
    [InlineData("window=3661d")]
    [InlineData("to=0001-01-01T00:00:00Z")]
    [InlineData("from=0001-01-01T00:00:00Z")]
    [InlineData("from=1970-01-01T00:00:00Z&to=9998-12-31T00:00:00Z")]
    [InlineData("to=9999-12-31T23:59:59Z")]
    [InlineData("dimension=model")]
    [InlineData("value=aggressive")]
    [InlineData("dimension=colour&value=red")]
    public async Task OutOfRangeStatsParameters_Are400sInTheErrorEnvelope(string query)
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var admin = proxy.CreateAdminClient();

        using var response = await admin.GetAsync("admin/stats?" + query, TestContext.Current.CancellationToken);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("error", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", body.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(body.RootElement.GetProperty("error").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task FuzzedStatsParameters_NeverAnswer5xx()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await Requests.SendAsync(proxy.Client, Requests.Body("Explain escrow"), ("x-cache-context", "explanation"));
        using var admin = proxy.CreateAdminClient();
        string[] windows = ["", "1m", "24h", "7d", "3660d", "3661d", "0d", "-1h", "1e9d", "99999999d", "1.5h", "NaNd", "Infinityh", "h", "5", "5s", "1e-9m", new string('9', 400) + "d", "%00d"];
        string[] times = ["", "2026-11-26T12:00:00Z", "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-14:00", "2026-13-45", "yesterday", "1969-12-31T23:59:59Z"];
        string[] dimensions = ["", "model", "strategy", "context", "tenant", "outcome", "colour", new string('d', 2000)];
        string[] values = ["", "explanation", "aggressive", "other", new string('v', 2000), "\u0001"];
        var random = new Random(1234);
        for (var i = 0; i < 300; i++)
        {
            var parts = new List<string>();
            Add("window", windows[random.Next(windows.Length)]);
            Add("from", times[random.Next(times.Length)]);
            Add("to", times[random.Next(times.Length)]);
            Add("dimension", dimensions[random.Next(dimensions.Length)]);
            if (random.Next(3) > 0)
            {
                parts.Add("value=" + Uri.EscapeDataString(values[random.Next(values.Length)]));
            }

            var query = string.Join('&', parts);
            using var response = await admin.GetAsync("admin/stats?" + query, TestContext.Current.CancellationToken);
            // 400 from the proxy, 414 from Kestrel for the longest URLs: a client error either way, never a 5xx.
            Assert.True((int)response.StatusCode is 200 or 400 or 414, $"admin/stats?{query[..Math.Min(query.Length, 300)]} answered {(int)response.StatusCode}");

            void Add(string name, string value)
            {
                if (value.Length > 0)
                {
                    parts.Add(name + "=" + Uri.EscapeDataString(value));
                }
            }
        }
    }

    [Fact]
    public async Task FilteredStats_FilterTheLatencyToo()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await Requests.SendAsync(proxy.Client, Requests.Body("Explain escrow"), ("x-cache-strategy", "aggressive"));
        await Requests.SendAsync(proxy.Client, Requests.Body("Explain escrow"), ("x-cache-strategy", "aggressive"));
        await Requests.SendAsync(proxy.Client, Requests.Body("Analyse 12 Oak Street"));
        await Requests.SendAsync(proxy.Client, Requests.Body("Analyse 12 Oak Street"));
        await Requests.SendAsync(proxy.Client, Requests.Body("Analyse 12 Oak Street"));
        await CostAccountingTests.StatsAsync(proxy, 5);
        using var admin = proxy.CreateAdminClient();

        using var all = JsonDocument.Parse(await admin.GetStringAsync("admin/stats?window=1h", TestContext.Current.CancellationToken));
        using var filtered = JsonDocument.Parse(await admin.GetStringAsync("admin/stats?window=1h&dimension=strategy&value=aggressive", TestContext.Current.CancellationToken));

        Assert.Equal(3, all.RootElement.GetProperty("hitLatency").GetProperty("count").GetInt64());
        Assert.NotEqual(JsonValueKind.Null, all.RootElement.GetProperty("hitLatency").GetProperty("p50Ms").ValueKind);
        var hits = filtered.RootElement.GetProperty("hitLatency");
        var misses = filtered.RootElement.GetProperty("missLatency");
        Assert.Equal(filtered.RootElement.GetProperty("totals").GetProperty("hits").GetInt64(), hits.GetProperty("count").GetInt64());
        Assert.Equal(1, hits.GetProperty("count").GetInt64());
        Assert.Equal(1, misses.GetProperty("count").GetInt64());
        Assert.NotEqual(JsonValueKind.Null, hits.GetProperty("meanMs").ValueKind);
        // Not kept per strategy: left out, never shown unfiltered under a filter.
        Assert.Equal(JsonValueKind.Null, hits.GetProperty("p50Ms").ValueKind);
    }

    [Fact]
    public async Task LedgerLimitsOutOfRange_StopTheProxyNamingTheKey()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ProxyHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["ClaudeCache:Costs:LedgerMaxDistinctValuesPerHour"] = "0",
            ["ClaudeCache:Costs:LedgerMinuteRetention"] = "00:10:00",
        }));

        Assert.Contains("ClaudeCache:Costs:LedgerMaxDistinctValuesPerHour", error.Message, StringComparison.Ordinal);
        Assert.Contains("ClaudeCache:Costs:LedgerMinuteRetention", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheLedger_TakesItsLimitsFromConfiguration()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?> { ["ClaudeCache:Costs:LedgerMaxDistinctValuesPerHour"] = "3" });

        Assert.Equal(3, proxy.Services.GetRequiredService<SavingsLedger>().Limits.MaxDistinctValuesPerHour);
    }

    internal static long Scalar(string database, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
