using System.Diagnostics;

namespace ClaudeCache.Extensions.AI.Tests.Infrastructure;

/// <summary>Runs a program with a bounded wait, returning its exit code and combined output.</summary>
public static class ChildProcess
{
    /// <summary>
    /// Starts <paramref name="start"/> with its output redirected (and its input, when <paramref name="standardInput"/>
    /// is given), and kills the whole process tree if it outlives <paramref name="timeout"/>.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(ProcessStartInfo start, TimeSpan timeout, string? standardInput = null)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = standardInput is not null;
        start.UseShellExecute = false;

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }

        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {start.Arguments} did not finish within {timeout}: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
