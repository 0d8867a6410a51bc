using System.Text.RegularExpressions;
using ClaudeCache.Proxy.Tests.Infrastructure;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// The real binary, as a user runs it: one line on start (at any log level) saying where it listens and what it
/// opened, one on stop; relative paths and appsettings.json taken from the directory it was run from.
/// </summary>
public sealed partial class StartupLineTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Serve_PrintsTheBoundUrlAndAbsoluteDatabasePath_AndAStopLine_InProduction()
    {
        var directory = Directory.CreateTempSubdirectory("claudecache-start-").FullName;
        await using var proxy = ProxyProcess.Start(["--port", "0", "--db", "relative.db"], directory);

        var line = await proxy.WaitForLineAsync(l => l.StartsWith("claudecache ", StringComparison.Ordinal), StartTimeout);

        // Port 0: the line names the port the OS chose, and it answers.
        var url = ListeningOn().Match(line).Groups["url"].Value;
        using var client = new HttpClient();
        Assert.Equal("ok", await client.GetStringAsync(new Uri(new Uri(url), "/healthz"), TestContext.Current.CancellationToken));
        Assert.Contains("(Production)", line, StringComparison.Ordinal);
        Assert.Contains("upstream https://api.anthropic.com", line, StringComparison.Ordinal);
        Assert.Contains("store sqlite " + Path.Combine(directory, "relative.db"), line, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(directory, "relative.db")), "the database is not in the working directory");
        Assert.Contains("aggressive 1.00:00:00, standard 06:00:00, conservative 01:30:00, real-time 00:15:00", line, StringComparison.Ordinal);
        Assert.Contains("admin API off", line, StringComparison.Ordinal);
        Assert.Matches(@"^claudecache \d+\.\d+\.\d+", line);

        Assert.Equal(0, await proxy.StopAsync());
        Assert.Contains("claudecache stopped", proxy.StandardOutput.Split('\n'));
    }

    [Fact]
    public async Task Serve_PrintsItsStartLine_EvenWithLoggingOff_AndAnExistingDatabase()
    {
        var directory = Directory.CreateTempSubdirectory("claudecache-start-").FullName;
        var quiet = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "None",
            ["Logging__LogLevel__ClaudeCache"] = "None",
            ["Logging__Console__LogLevel__Default"] = "None",
        };
        await using (var first = ProxyProcess.Start(["--port", "0"], directory, quiet))
        {
            await first.WaitForLineAsync(l => l.StartsWith("claudecache ", StringComparison.Ordinal), StartTimeout);
            await first.StopAsync();
        }

        Assert.True(File.Exists(Path.Combine(directory, "claudecache.db")));
        await using var second = ProxyProcess.Start(["--port", "0", "--admin-token", "an-admin-token-of-24-chars"], directory, quiet);

        var line = await second.WaitForLineAsync(l => l.StartsWith("claudecache ", StringComparison.Ordinal), StartTimeout);

        Assert.Contains("store sqlite " + Path.Combine(directory, "claudecache.db"), line, StringComparison.Ordinal);
        Assert.Contains("admin API on", line, StringComparison.Ordinal);
        Assert.DoesNotContain("an-admin-token-of-24-chars", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppSettingsInTheWorkingDirectory_OverrideTheBinarys_EnvironmentFileLast()
    {
        var directory = Directory.CreateTempSubdirectory("claudecache-settings-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), """
            { "ClaudeCache": { "Port": 0, "Storage": { "Provider": "memory" }, "Strategies": { "StandardTtl": "02:00:00", "ConservativeTtl": "00:45:00" } } }
            """, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.Staging.json"), """
            { "ClaudeCache": { "Strategies": { "ConservativeTtl": "00:30:00" } } }
            """, TestContext.Current.CancellationToken);

        // "staging": environment names are case-insensitive, and still find appsettings.Staging.json.
        await using var proxy = ProxyProcess.Start(["--environment", "staging"], directory);
        var line = await proxy.WaitForLineAsync(l => l.StartsWith("claudecache ", StringComparison.Ordinal), StartTimeout);

        Assert.Contains("(Staging)", line, StringComparison.Ordinal);
        Assert.DoesNotContain(":8787", line, StringComparison.Ordinal);
        Assert.Contains("store memory", line, StringComparison.Ordinal);
        Assert.Contains("standard 02:00:00", line, StringComparison.Ordinal);
        Assert.Contains("conservative 00:30:00", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisStore_IsNamedByItsEndpoint_NeverItsPassword()
    {
        var directory = Directory.CreateTempSubdirectory("claudecache-start-").FullName;

        // Nothing listens on port 1: the proxy starts anyway (Redis is connected in the background).
        await using var proxy = ProxyProcess.Start(["--port", "0", "--redis", "127.0.0.1:1,password=hunter2-secret"], directory);
        var line = await proxy.WaitForLineAsync(l => l.StartsWith("claudecache ", StringComparison.Ordinal), StartTimeout);

        Assert.Contains("store redis 127.0.0.1:1", line, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_SaysWhereSettingsAreRead()
    {
        var (exitCode, help) = await ProxyProcess.RunAsync(["--help"], Path.GetTempPath());
        var (serveExitCode, serveHelp) = await ProxyProcess.RunAsync(["serve", "--help"], Path.GetTempPath());

        Assert.Equal(0, exitCode);
        Assert.Equal(0, serveExitCode);
        // Help is wrapped to the terminal's width: compare words, not lines.
        Assert.Contains("appsettings.json in the working directory", Words(help.StandardOutput), StringComparison.Ordinal);
        Assert.Contains("appsettings.json and appsettings.{Environment}.json in the working directory", Words(serveHelp.StandardOutput), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DotnetRun_StartsTheProxyInTheDirectoryItWasTypedIn()
    {
        // `dotnet run --project src/ClaudeCache.Proxy` runs in RunWorkingDirectory (the project's folder unless set):
        // evaluated from another folder, it must be that folder, where ./claudecache.db then goes.
        var directory = Directory.CreateTempSubdirectory("claudecache-run-").FullName;
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "ClaudeCache.slnx")))
        {
            root = root.Parent!;
        }

        var start = new System.Diagnostics.ProcessStartInfo("dotnet", ["msbuild", Path.Combine(root.FullName, "src", "ClaudeCache.Proxy", "ClaudeCache.Proxy.csproj"), "-getProperty:RunWorkingDirectory"])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(Path.TrimEndingDirectorySeparator(directory), Path.TrimEndingDirectorySeparator(output.Trim()));
    }

    private static string Words(string text) => Whitespace().Replace(text, " ");

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"listening on (?<url>http://[^;, ]+)")]
    private static partial Regex ListeningOn();
}
