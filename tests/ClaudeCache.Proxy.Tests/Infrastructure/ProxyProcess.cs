using System.Collections.Concurrent;
using System.Diagnostics;

namespace ClaudeCache.Proxy.Tests.Infrastructure;

/// <summary>
/// The real <c>claudecache</c> binary (built next to this test assembly) in its own process: its exit code and
/// every line it writes, for what only a real process shows (the console, the working directory, signals).
/// </summary>
public sealed class ProxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly SemaphoreSlim _lineWritten = new(0);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProxyProcess(Process process) => _process = process;

    public static string Binary { get; } = Path.Combine(AppContext.BaseDirectory, "claudecache.dll");

    public string StandardOutput => string.Join('\n', _stdout);

    public string StandardError => string.Join('\n', _stderr);

    /// <summary>Starts <c>dotnet claudecache.dll ARGS</c> in <paramref name="workingDirectory"/>.</summary>
    public static ProxyProcess Start(IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Binary);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Whatever the developer's shell has set: the binary's defaults, Production.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("CLAUDECACHE", StringComparison.OrdinalIgnoreCase) || k.EndsWith("_ENVIRONMENT", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var proxy = new ProxyProcess(process);
        process.OutputDataReceived += (_, e) => proxy.Receive(e.Data, proxy._stdout, proxy._stdoutClosed);
        process.ErrorDataReceived += (_, e) => proxy.Receive(e.Data, proxy._stderr, proxy._stderrClosed);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return proxy;
    }

    /// <summary>Runs to its end (a refusal, <c>--help</c>): the exit code, once both streams are read.</summary>
    public static async Task<(int ExitCode, ProxyProcess Process)> RunAsync(IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = Start(args, workingDirectory, environment);
        return (await process.WaitForExitAsync(TimeSpan.FromSeconds(60)), process);
    }

    /// <summary>The first line of standard output that satisfies <paramref name="match"/>, waiting for it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            if (_stdout.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            if (_process.HasExited && _stdoutClosed.Task.IsCompleted)
            {
                throw new InvalidOperationException($"claudecache exited ({_process.ExitCode}) without that line:\n{StandardOutput}\n{StandardError}");
            }

            try
            {
                await _lineWritten.WaitAsync(TimeSpan.FromMilliseconds(200), cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"claudecache wrote no such line within {timeout}:\n{StandardOutput}\n{StandardError}");
            }
        }
    }

    /// <summary>Asks the process to stop as Ctrl+C or a service manager would (SIGTERM) and waits for its exit code.</summary>
    public async Task<int> StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        return await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _lineWritten.Dispose();
    }

    private async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(cancel.Token);
        return _process.ExitCode;
    }

    private void Receive(string? line, ConcurrentQueue<string> lines, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
        }
        else
        {
            lines.Enqueue(line);
        }

        _lineWritten.Release();
    }
}
