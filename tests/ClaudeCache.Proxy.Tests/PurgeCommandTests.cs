using System.Net;
using System.Text.Json;
using ClaudeCache.Proxy.Cli;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;

namespace ClaudeCache.Proxy.Tests;

/// <summary><c>claudecache purge</c>, through a running proxy and on a database file (docs/invalidation.md).</summary>
public sealed class PurgeCommandTests
{
    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(PurgeArguments arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await PurgeCommand.RunAsync(arguments, output, error, TimeProvider.System, TestContext.Current.CancellationToken);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static async Task<string> SendAsync(ProxyHost proxy, string prompt, params (string Name, string Value)[] headers)
    {
        var (response, _) = await Requests.SendAsync(proxy.Client, Requests.Body(prompt), headers);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Header("x-cache");
    }

    [Fact]
    public async Task ThroughTheUrl_ADryRunCounts_ThenThePurgeRemoves()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await SendAsync(proxy, "Analyse 12 Oak Street", ("x-cache-tags", "listing-42"));
        await SendAsync(proxy, "Analyse 14 Oak Street", ("x-cache-tags", "listing-42"), ("x-cache-context", "property_analysis"));
        await proxy.SettleAsync();
        var url = proxy.BaseAddress.ToString();

        var dry = await RunAsync(new PurgeArguments { Url = url, AdminToken = ProxyHost.AdminToken, Tag = "listing-42", DryRun = true, Json = true });
        var combined = await RunAsync(new PurgeArguments { Url = url, AdminToken = ProxyHost.AdminToken, Tag = "listing-42", Context = "property_analysis" });
        var rest = await RunAsync(new PurgeArguments { Url = url, AdminToken = ProxyHost.AdminToken, Tag = "listing-42" });

        Assert.Equal((0, ""), (dry.ExitCode, dry.Error));
        using (var json = JsonDocument.Parse(dry.Output))
        {
            Assert.Equal(2, json.RootElement.GetProperty("matched").GetInt64());
            Assert.True(json.RootElement.GetProperty("dryRun").GetBoolean());
        }

        Assert.Equal((0, "Removed 1 entry."), (combined.ExitCode, combined.Output.Trim()));
        Assert.Equal((0, "Removed 1 entry."), (rest.ExitCode, rest.Output.Trim()));
        Assert.Equal("MISS", await SendAsync(proxy, "Analyse 12 Oak Street"));
    }

    [Fact]
    public async Task OnTheDatabaseFile_OfAStoppedProxy_TheRestartedProxyMisses()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var database = TempFiles.NewDatabasePath();
        var proxy = await ProxyHost.StartAsync(upstream, database);
        await SendAsync(proxy, "Analyse 12 Oak Street", ("x-cache-tags", "listing-42"));
        await SendAsync(proxy, "Analyse 14 Oak Street", ("x-cache-tags", "listing-43"));
        await proxy.SettleAsync();
        await proxy.StopKeepingUpstreamAsync();

        var dry = await RunAsync(new PurgeArguments { Database = database, Tag = "listing-42", DryRun = true });
        var purge = await RunAsync(new PurgeArguments { Database = database, Tag = "listing-42" });

        Assert.Equal((0, "1 entry match; nothing removed (dry run)."), (dry.ExitCode, dry.Output.Trim()));
        Assert.Equal((0, "Removed 1 entry."), (purge.ExitCode, purge.Output.Trim()));
        await using var restarted = await ProxyHost.StartAsync(upstream, database);
        Assert.Equal("MISS", await SendAsync(restarted, "Analyse 12 Oak Street"));
        Assert.Equal("HIT", await SendAsync(restarted, "Analyse 14 Oak Street"));
    }

    [Fact]
    public async Task UsageErrors_Exit2_WithAOneLineMessage()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var url = proxy.BaseAddress.ToString();
        var missing = TempFiles.NewDatabasePath();

        var cases = new (PurgeArguments Arguments, string Message)[]
        {
            (new PurgeArguments { Url = url, AdminToken = ProxyHost.AdminToken }, "at least one filter"),
            (new PurgeArguments { Url = url, AdminToken = ProxyHost.AdminToken, Strategy = "forever" }, "strategy: 'forever'"),
            (new PurgeArguments { Url = url, AdminToken = ProxyHost.AdminToken, OlderThan = "soon" }, "olderThan: 'soon'"),
            (new PurgeArguments { Url = url, AdminToken = "wrong-token-0123456789", Tag = "a" }, "the admin token was refused"),
            (new PurgeArguments { Url = "ftp://example", Tag = "a" }, "is not an http(s) URL"),
            (new PurgeArguments { Database = missing, Tag = "a" }, "no database at"),
        };
        foreach (var (arguments, message) in cases)
        {
            var (exitCode, output, error) = await RunAsync(arguments);
            Assert.Equal(2, exitCode);
            Assert.Equal("", output);
            Assert.Contains(message, error, StringComparison.Ordinal);
            Assert.Single(error.Trim().Split('\n'));
        }

        Assert.False(File.Exists(missing));
    }

    [Fact]
    public async Task TheRealBinary_PurgesThroughTheAdminApi()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await SendAsync(proxy, "Analyse 12 Oak Street", ("x-cache-tags", "listing-42"));
        await proxy.SettleAsync();
        var directory = Directory.CreateTempSubdirectory().FullName;

        var (exitCode, process) = await ProxyProcess.RunAsync(
            ["purge", "--url", proxy.BaseAddress.ToString(), "--tag", "listing-42"], directory,
            new Dictionary<string, string> { [AdminApi.TokenVariable] = ProxyHost.AdminToken });
        await using (process)
        {
            Assert.Equal(0, exitCode);
            Assert.Equal("Removed 1 entry.", process.StandardOutput.Trim());
        }

        var (usage, refused) = await ProxyProcess.RunAsync(["purge", "--url", proxy.BaseAddress.ToString()], directory);
        await using (refused)
        {
            Assert.Equal(2, usage);
            Assert.Contains("at least one filter", refused.StandardError, StringComparison.Ordinal);
        }

        Assert.Equal("MISS", await SendAsync(proxy, "Analyse 12 Oak Street"));
    }

    // The checks stats and estimate make too (SourceOptions), word for word, before anything is purged.
    [Theory]
    [InlineData("--no-such-option", "claudecache: purge: unknown option or argument '--no-such-option' (see claudecache purge --help).")]
    [InlineData("--db", "claudecache: give --url or --db, not both.")]
    public async Task TheRealBinary_SharesTheUsageChecks_Exit2WithTheirLine(string option, string message)
    {
        var directory = Directory.CreateTempSubdirectory().FullName;
        var database = Path.Combine(directory, "other.db");

        var (exitCode, process) = await ProxyProcess.RunAsync(["purge", "--url", "http://127.0.0.1:1", "--tag", "a", option, database], directory);
        await using (process)
        {
            Assert.Equal(2, exitCode);
            Assert.Equal("", process.StandardOutput);
            Assert.Equal(message, process.StandardError.Trim());
        }

        Assert.False(File.Exists(database));
    }

    [Fact]
    public async Task AFileThatIsNotADatabase_Exits1()
    {
        var path = TempFiles.NewDatabasePath();
        await File.WriteAllTextAsync(path, new string('x', 4096), TestContext.Current.CancellationToken);

        var (exitCode, output, error) = await RunAsync(new PurgeArguments { Database = path, Tag = "a" });

        Assert.Equal(1, exitCode);
        Assert.Equal("", output);
        Assert.StartsWith("claudecache: cannot purge", error, StringComparison.Ordinal);
    }
}
