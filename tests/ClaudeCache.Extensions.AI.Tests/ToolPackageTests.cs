using System.Diagnostics;
using System.IO.Compression;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// <c>claudecache</c> is installed the way the README says: <c>dotnet pack</c> the proxy, <c>dotnet tool install</c>
/// from that folder, run the command.
/// </summary>
public sealed class ToolPackageTests
{
    [Fact]
    public async Task ProxyPacksAsADotnetTool_ThatInstallsFromAFolder_AndRuns()
    {
        var root = Directory.CreateTempSubdirectory("claudecache-tool-").FullName;
        var packages = Path.Combine(root, "packages");
        var tools = Path.Combine(root, "tools");
        var project = Path.Combine(RepositoryPaths.Root, "src", "ClaudeCache.Proxy", "ClaudeCache.Proxy.csproj");

        // test.sh builds first, so this packs what was built; otherwise pack builds it.
        var built = File.Exists(Path.Combine(RepositoryPaths.Root, "src", "ClaudeCache.Proxy", "bin", "Release", "net10.0", "claudecache.dll"));
        var (packExit, packLog) = await DotnetProcess.RunAsync(
            $"pack \"{project}\" -c Release -o \"{packages}\" --nologo -v q{(built ? " --no-build" : "")}", RepositoryPaths.Root, TimeSpan.FromMinutes(3));
        Assert.True(packExit == 0, packLog);
        Assert.DoesNotContain("warning", packLog, StringComparison.OrdinalIgnoreCase);
        var package = Assert.Single(Directory.GetFiles(packages, "ClaudeCache.Proxy.*.nupkg"));
        using (var zip = ZipFile.OpenRead(package))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("tools/net10.0/any/claudecache.dll", entries);
            Assert.Contains("tools/net10.0/any/appsettings.json", entries);
            Assert.Contains("README.md", entries);
            Assert.DoesNotContain(entries, e => e.StartsWith("content", StringComparison.Ordinal));
        }

        // Only the folder as a source: the install needs nothing else.
        var config = Path.Combine(root, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{packages}" />
              </packageSources>
            </configuration>
            """, TestContext.Current.CancellationToken);
        var (installExit, installLog) = await DotnetProcess.RunAsync(
            $"tool install --tool-path \"{tools}\" --configfile \"{config}\" ClaudeCache.Proxy", root, TimeSpan.FromMinutes(1));
        Assert.True(installExit == 0, installLog);

        var (helpExit, help) = await RunAsync(Path.Combine(tools, "claudecache"), "--help", root);
        Assert.True(helpExit == 0, help);
        Assert.Contains("serve", help, StringComparison.Ordinal);
        Assert.Contains("warm", help, StringComparison.Ordinal);
        Assert.Contains("stats", help, StringComparison.Ordinal);
    }

    private static Task<(int ExitCode, string Output)> RunAsync(string command, string arguments, string workingDirectory) =>
        ChildProcess.RunAsync(new ProcessStartInfo(command, arguments) { WorkingDirectory = workingDirectory }, TimeSpan.FromSeconds(30));
}
