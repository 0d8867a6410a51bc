using System.Text.Json;
using System.Text.RegularExpressions;
using ClaudeCache.Proxy.Cli;
using ClaudeCache.Proxy.Tests.Infrastructure;

namespace ClaudeCache.Proxy.Tests;

public sealed class StatsCommandTests
{
    private static readonly (string Prompt, string Context)[] Workload =
    [
        ("Analyse 12 Oak Street", "property_analysis"), ("Explain a cap rate", "explanation"), ("Austin market today", "market_analysis"),
    ];

    /// <summary>Each prompt twice: 3 misses, then 3 hits.</summary>
    private static async Task<JsonElement> SendWorkloadAsync(ProxyHost proxy)
    {
        foreach (var _ in new[] { 1, 2 })
        {
            foreach (var (prompt, context) in Workload)
            {
                var (response, _) = await Requests.SendAsync(proxy.Client, Requests.Body(prompt), ("x-cache-context", context));
                response.EnsureSuccessStatusCode();
            }
        }

        return await CostAccountingTests.StatsAsync(proxy, 6);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(StatsArguments arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await StatsCommand.RunAsync(arguments, output, error, TestContext.Current.CancellationToken);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static void AssertSameTotals(JsonElement expected, JsonElement actual)
    {
        foreach (var name in new[] { "requests", "hits", "misses" })
        {
            Assert.Equal(expected.GetProperty(name).GetInt64(), actual.GetProperty(name).GetInt64());
        }

        foreach (var name in new[] { "costUsd", "savingsUsd", "costWithoutCacheUsd" })
        {
            Assert.Equal(expected.GetProperty(name).GetDecimal(), actual.GetProperty(name).GetDecimal());
        }
    }

    [Fact]
    public async Task Json_FromARunningProxy_HasTheTotalsOfAdminStats()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var expected = await SendWorkloadAsync(proxy);

        var (exitCode, output, error) = await RunAsync(new StatsArguments { Url = proxy.BaseAddress.ToString(), AdminToken = ProxyHost.AdminToken, Json = true });

        Assert.Equal(0, exitCode);
        Assert.Equal("", error);
        using var json = JsonDocument.Parse(output);
        var totals = json.RootElement.GetProperty("totals");
        AssertSameTotals(expected, totals);
        Assert.Equal(3, totals.GetProperty("hits").GetInt64());
        Assert.True(totals.GetProperty("savingsUsd").GetDecimal() > 0);
        Assert.True(json.RootElement.TryGetProperty("cache", out _), "a proxy's report includes its cache figures");
    }

    [Fact]
    public async Task Tables_ShowTheHitRatio_TheSavedAmount_AndEveryGroup()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var totals = await SendWorkloadAsync(proxy);

        var (exitCode, output, _) = await RunAsync(new StatsArguments { Url = proxy.BaseAddress.ToString(), AdminToken = ProxyHost.AdminToken });

        Assert.Equal(0, exitCode);
        var saved = StatsFormat.Money(totals.GetProperty("savingsUsd").GetDecimal());
        Assert.Matches(@"^\$\d+\.\d{2}(\d{2})?$", saved);
        Assert.Matches(@"Hit ratio\W+50\.0%", output);
        Assert.Matches(@"Saved\W+" + Regex.Escape(saved), output);
        Assert.Matches(@"Requests\W+6\W", output);
        foreach (var expected in new[] { "Per strategy", "Per context type", "Per model", "property_analysis", "market_analysis", "claude-sonnet-4-5", "p99", "Savings / month" })
        {
            Assert.Contains(expected, output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal); // no ANSI escapes in redirected output
    }

    [Fact]
    public async Task Tables_ShowThePromptCacheSavingNextToTheResponseCacheSaving_PerGroupToo()
    {
        await using var proxy = await ProxyHost.StartAsync();
        (string, string) marked = (PromptCacheAccountingTests.Breakpoints, "always");
        await PromptCacheAccountingTests.CallAsync(proxy, Requests.Body("Analyse 12 Oak Street", system: PromptCacheAccountingTests.SharedSystem), marked);
        await PromptCacheAccountingTests.CallAsync(proxy, Requests.Body("Analyse 14 Elm Road", system: PromptCacheAccountingTests.SharedSystem), marked);
        var totals = await CostAccountingTests.StatsAsync(proxy, 2);

        var (exitCode, output, _) = await RunAsync(new StatsArguments { Url = proxy.BaseAddress.ToString(), AdminToken = ProxyHost.AdminToken });

        Assert.Equal(0, exitCode);
        var saved = totals.GetProperty("promptCacheSavedUsd").GetDecimal();
        Assert.True(saved > 0, "the second call read what the first wrote");
        Assert.Matches(@"Prompt cache: calls marked\W+2\W", output);
        Assert.Matches(@"Prompt cache: saved\W+" + Regex.Escape(StatsFormat.Money(saved)), output);
        Assert.Matches(@"Prompt cache: writes\W+" + Regex.Escape(StatsFormat.Money(totals.GetProperty("promptCacheWriteCostUsd").GetDecimal())), output);
        Assert.Contains("Prompt cache saved", output, StringComparison.Ordinal);
        // The per-model row ends with the same figure: one model here.
        Assert.Matches(@"claude-sonnet-4-5\W.*" + Regex.Escape(StatsFormat.Money(saved)) + @"\W+│", output);
    }

    [Fact]
    public async Task Tables_ShowStaleAnswers_WhatTheySaved_AndMissReasons_FromTheProxyAndTheFile()
    {
        var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Analyse 12 Oak Street");
        (string, string) standard = ("x-cache-strategy", "standard");
        await Requests.SendAsync(proxy.Client, body, standard);
        await Requests.SendAsync(proxy.Client, body, standard, ("Cache-Control", "no-store"));
        await proxy.SettleAsync();
        await CostAccountingTests.StatsAsync(proxy, 2);
        proxy.Clock.Advance(TimeSpan.FromHours(7));
        proxy.Upstream.Responder = _ => Testing.FakeReply.Overloaded();
        await Requests.SendAsync(proxy.Client, body, standard);
        var totals = await CostAccountingTests.StatsAsync(proxy, 3);
        var now = proxy.Clock.GetUtcNow();

        var live = await RunAsync(new StatsArguments { Url = proxy.BaseAddress.ToString(), AdminToken = ProxyHost.AdminToken });
        await proxy.StopKeepingUpstreamAsync();
        await proxy.Upstream.DisposeAsync();
        var file = await RunAsync(new StatsArguments { Database = proxy.DatabasePath, To = now });

        var saved = totals.GetProperty("savingsUsd").GetDecimal();
        Assert.True(saved > 0);
        foreach (var (exitCode, output, _) in new[] { live, file })
        {
            Assert.Equal(0, exitCode);
            Assert.Matches(@"Stale answers\W+1\b", output);
            // The one hit is the stale answer: all of the saving is its.
            Assert.Matches(@"Saved by stale answers\W+" + Regex.Escape(Cli.StatsFormat.Money(saved)), output);
            Assert.Matches(@"Stale: upstream 529\W+1\b", output);
            Assert.Matches(@"Miss: new\W+1\b", output);
            Assert.Matches(@"Miss: bypass\W+1\b", output);
            Assert.DoesNotContain("Miss: expired", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Database_AfterTheProxyStops_GivesTheSameTotals_WhileTheUrlIsUnreachable()
    {
        var proxy = await ProxyHost.StartAsync();
        var before = await SendWorkloadAsync(proxy);
        var now = proxy.Clock.GetUtcNow();
        var url = proxy.BaseAddress.ToString();
        await proxy.StopKeepingUpstreamAsync(); // the ledger flushes on dispose
        await proxy.Upstream.DisposeAsync();

        var (exitCode, output, error) = await RunAsync(new StatsArguments { Database = proxy.DatabasePath, To = now, Json = true, InfrastructureCostUsd = 0.001m });
        var tables = await RunAsync(new StatsArguments { Database = proxy.DatabasePath, To = now });
        var unreachable = await RunAsync(new StatsArguments { Url = url, AdminToken = ProxyHost.AdminToken });

        Assert.Equal(0, exitCode);
        Assert.Equal("", error);
        using var json = JsonDocument.Parse(output);
        AssertSameTotals(before, json.RootElement.GetProperty("totals"));
        Assert.True(json.RootElement.GetProperty("projection").GetProperty("roi").GetDouble() != 0);
        Assert.Equal(0, tables.ExitCode);
        Assert.Matches(@"Hit ratio\W+50\.0%", tables.Output);
        Assert.Equal(2, unreachable.ExitCode);
        Assert.StartsWith("claudecache: cannot reach the proxy", unreachable.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Database_FilteredByDimension_CountsOnlyThatValue()
    {
        var proxy = await ProxyHost.StartAsync();
        await SendWorkloadAsync(proxy);
        var now = proxy.Clock.GetUtcNow();
        await proxy.DisposeAsync();

        var (exitCode, output, _) = await RunAsync(new StatsArguments { Database = proxy.DatabasePath, To = now, Window = "1h", Dimension = "context", Value = "explanation", Json = true });

        Assert.Equal(0, exitCode);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(2, json.RootElement.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal("context=explanation", json.RootElement.GetProperty("filter").GetString());
    }

    [Theory]
    [InlineData("wrong-token-wrong-token")]
    [InlineData(null)]
    public async Task WrongOrMissingToken_Exits2_WithAOneLineMessage(string? token)
    {
        await using var proxy = await ProxyHost.StartAsync();

        var (exitCode, output, error) = await RunAsync(new StatsArguments { Url = proxy.BaseAddress.ToString(), AdminToken = token });

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains("401", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
        // Said once, not once by the CLI and again by the proxy's message.
        Assert.True(error.Split("token", StringSplitOptions.None).Length - 1 <= 2, error);
        Assert.DoesNotContain("A valid admin token is required", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADimensionWithoutAValue_IsRefused_WithExitCode2()
    {
        await using var proxy = await ProxyHost.StartAsync();

        var (exitCode, output, error) = await RunAsync(new StatsArguments { Url = proxy.BaseAddress.ToString(), AdminToken = ProxyHost.AdminToken, Dimension = "model" });

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains("--dimension model needs --value", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFilteredReport_PrintsTheFilteredLatency_NotTheWholeOne()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await Requests.SendAsync(proxy.Client, Requests.Body("Explain escrow"), ("x-cache-strategy", "aggressive"));
        await Requests.SendAsync(proxy.Client, Requests.Body("Explain escrow"), ("x-cache-strategy", "aggressive"));
        for (var i = 0; i < 3; i++)
        {
            await Requests.SendAsync(proxy.Client, Requests.Body("Analyse 12 Oak Street"));
        }

        await CostAccountingTests.StatsAsync(proxy, 5);

        var (exitCode, output, _) = await RunAsync(new StatsArguments { Url = proxy.BaseAddress.ToString(), AdminToken = ProxyHost.AdminToken, Dimension = "strategy", Value = "aggressive" });

        Assert.Equal(0, exitCode);
        // The title wraps to the table's width.
        Assert.Contains("Latency (strategy=aggressive; percentiles need", output, StringComparison.Ordinal);
        var hitsLine = output.Split('\n').Last(l => l.Contains("Hits", StringComparison.Ordinal) && l.Contains('–'));
        Assert.Matches(@"Hits\s*│\s*1\s*│", hitsLine);
    }

    [Fact]
    public async Task Database_WithAnUnwritableWalIndex_ExitsWithAMessage_InsteadOfCrashing()
    {
        // The proxy in this process has the file open, so SQLite would share its mapping of the -shm: a write through
        // it after the file became immutable is a SIGBUS that ends the process (the test host here).
        await using var proxy = await ProxyHost.StartAsync();
        await SendWorkloadAsync(proxy);
        var shm = proxy.DatabasePath + "-shm";
        StoreFaultTests.Run("sync");
        Assert.True(StoreFaultTests.Run("chattr", "+i", shm), "chattr +i needs root and a file system with attributes.");
        try
        {
            var (exitCode, output, error) = await RunAsync(new StatsArguments { Database = proxy.DatabasePath });

            Assert.Equal(1, exitCode);
            Assert.Equal("", output);
            Assert.Contains("WAL index", error, StringComparison.Ordinal);
        }
        finally
        {
            StoreFaultTests.Run("chattr", "-i", shm);
        }
    }

    [Fact]
    public async Task MissingDatabase_Exits2_AndCreatesNoFile()
    {
        var path = TempFiles.NewDatabasePath();

        var (exitCode, output, error) = await RunAsync(new StatsArguments { Database = path });

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.StartsWith("claudecache: no database at", error, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("--window", "yesterday")]
    [InlineData("--dimension", "colour")]
    [InlineData("--no-such-option", "x")]
    [InlineData("--window", "99999999d")]
    [InlineData("--to", "yesterday")]
    [InlineData("--url", "http://127.0.0.1:1")]
    public async Task InvalidOptions_Exit2_ThroughTheCommandLine(string option, string value)
    {
        var exitCode = await ClaudeCacheCli.RunAsync(["stats", "--db", TempFiles.NewDatabasePath(), option, value], TestContext.Current.CancellationToken);

        Assert.Equal(2, exitCode);
    }

    [Theory]
    [InlineData("--no-such-option", "x")]
    [InlineData("--to", "yesterday")]
    [InlineData("--url", "http://127.0.0.1:1")]
    public async Task Estimate_SharesTheUsageChecks_Exit2(string option, string value)
    {
        var exitCode = await ClaudeCacheCli.RunAsync(["estimate", "--db", TempFiles.NewDatabasePath(), option, value], TestContext.Current.CancellationToken);

        Assert.Equal(2, exitCode);
    }
}
