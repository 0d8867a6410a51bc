using System.Diagnostics;

namespace ClaudeCache.Extensions.AI.Tests.Infrastructure;

/// <summary>Runs the dotnet host with a bounded wait, returning its exit code and combined output.</summary>
public static class DotnetProcess
{
    public static Task<(int ExitCode, string Output)> RunAsync(string arguments, string workingDirectory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet", arguments) { WorkingDirectory = workingDirectory };

        // The samples must use the fake upstream, whatever the developer's shell has set.
        start.Environment.Remove("ANTHROPIC_API_KEY");
        start.Environment.Remove("CLAUDECACHE_URL");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        return ChildProcess.RunAsync(start, timeout);
    }
}
