using System.Text.Json;
using ClaudeCache.Proxy.Cli;
using ClaudeCache.Proxy.Tests.Infrastructure;

namespace ClaudeCache.Proxy.Tests;

/// <summary><c>claudecache estimate</c>: from a running proxy or the database file, with a candidate file, and its exit codes.</summary>
public sealed class EstimateCommandTests
{
    private const string Candidate = """{"ClaudeCache":{"Strategies":{"StandardTtl":"2.00:00:00","RealTimeTtl":"06:00:00"}}}""";

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(EstimateArguments arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await EstimateCommand.RunAsync(arguments, output, error, TimeProvider.System, TestContext.Current.CancellationToken);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static string CandidateFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "claudecache-tests", Guid.NewGuid().ToString("N") + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, Candidate);
        return path;
    }

    private static Dictionary<string, JsonElement> Scenarios(JsonElement report) =>
        report.GetProperty("scenarios").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.Clone());

    [Fact]
    public async Task Json_FromARunningProxy_WithACandidate_AndFromTheDatabase_AfterItStops_AgreeWithTheLedger()
    {
        var proxy = await ProxyHost.StartAsync();
        var sent = await EstimateTests.SendTraceAsync(proxy, requests: 80, seed: 5);
        var now = proxy.Clock.GetUtcNow();
        var config = CandidateFile();

        var fromProxy = await RunAsync(new EstimateArguments { Url = proxy.BaseAddress.ToString(), AdminToken = ProxyHost.AdminToken, Days = "7", To = now, Config = config, Json = true });
        await proxy.StopKeepingUpstreamAsync(); // the ledger flushes on dispose
        await proxy.Upstream.DisposeAsync();
        var fromFile = await RunAsync(new EstimateArguments { Database = proxy.DatabasePath, Days = "7", To = now, Config = config, Json = true });
        var tables = await RunAsync(new EstimateArguments { Database = proxy.DatabasePath, Days = "7", To = now });

        Assert.Equal((0, ""), (fromProxy.ExitCode, fromProxy.Error));
        Assert.Equal((0, ""), (fromFile.ExitCode, fromFile.Error));
        using var a = JsonDocument.Parse(fromProxy.Output);
        using var b = JsonDocument.Parse(fromFile.Output);
        Assert.Equal(sent.Hits, a.RootElement.GetProperty("realised").GetProperty("hits").GetInt64());
        Assert.Equal(sent.Hits, Scenarios(a.RootElement)["current"].GetProperty("hits").GetInt64());
        Assert.Equal(172_800, Scenarios(a.RootElement)["candidate"].GetProperty("ttlSeconds").GetProperty("standard").GetDouble());
        foreach (var name in new[] { "current", "candidate", "ceiling" })
        {
            Assert.Equal(Scenarios(a.RootElement)[name].GetProperty("hits").GetInt64(), Scenarios(b.RootElement)[name].GetProperty("hits").GetInt64());
            Assert.Equal(Scenarios(a.RootElement)[name].GetProperty("savingsUsd").GetDecimal(), Scenarios(b.RootElement)[name].GetProperty("savingsUsd").GetDecimal());
        }

        Assert.Equal(0, tables.ExitCode);
        Assert.Contains("Of ceiling", tables.Output, StringComparison.Ordinal);
        Assert.Matches(@"ceiling\W+no expiry[^\n]*100\.0%", tables.Output);
        Assert.Contains("80 requests", tables.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UserErrors_ExitWith2_AndAOneLineMessage()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var missing = Path.Combine(Path.GetTempPath(), "claudecache-tests", Guid.NewGuid().ToString("N") + ".db");
        var bad = Path.Combine(Path.GetTempPath(), "claudecache-tests", Guid.NewGuid().ToString("N") + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(bad)!);
        await File.WriteAllTextAsync(bad, """{"ClaudeCache":{"Strategies":{"StandardTtl":"soon"}}}""", TestContext.Current.CancellationToken);

        var cases = new (EstimateArguments Arguments, string Mentions)[]
        {
            (new EstimateArguments { Database = missing }, "no database"),
            (new EstimateArguments { Database = proxy.DatabasePath, Days = "0" }, "--days"),
            (new EstimateArguments { Database = proxy.DatabasePath, Config = missing }, "no candidate configuration"),
            (new EstimateArguments { Database = proxy.DatabasePath, Config = bad }, "--config"),
            (new EstimateArguments { Url = proxy.BaseAddress.ToString(), AdminToken = "wrong" }, "401"),
            (new EstimateArguments { Url = proxy.BaseAddress.ToString(), AdminToken = ProxyHost.AdminToken, Config = bad }, "candidate configuration"),
            (new EstimateArguments { Url = "ftp://example" }, "--url"),
        };
        foreach (var (arguments, mentions) in cases)
        {
            var (exitCode, output, error) = await RunAsync(arguments);
            Assert.True(exitCode == 2 || mentions == "candidate configuration", $"{mentions}: exit {exitCode}");
            Assert.Equal("", output);
            Assert.Contains(mentions, error, StringComparison.Ordinal);
            Assert.Single(error.TrimEnd().Split('\n'));
        }
    }
}
