using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace ClaudeCache.Proxy.Tests.Infrastructure;

/// <summary>
/// The real proxy in its own process (<c>dotnet claudecache.dll serve</c>, from this test's output folder): for
/// faults that kill a process, which must fail the test rather than take the test host down with it.
/// </summary>
public sealed class ServingProxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    // Set by the line the proxy prints once Kestrel listens ("claudecache 1.2.3 (Production) listening on http://…"),
    // or failed when standard output closes without it.
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServingProxyProcess(Process process, Uri baseAddress)
    {
        _process = process;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Client.DefaultRequestHeaders.Add("x-api-key", "sk-ant-process-test");
        Client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        Client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public HttpClient Client { get; }

    public bool HasExited => _process.HasExited;


    /// <summary>The exit code, or null while running.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<ServingProxyProcess> StartAsync(Uri upstream, string databasePath, params string[] extraArguments)
    {
        var port = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "claudecache.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[dll, "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--upstream", upstream.ToString(), "--db", databasePath, "--admin-token", ProxyHost.AdminToken, .. extraArguments])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("ANTHROPIC_API_KEY");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var proxy = new ServingProxyProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => proxy.ReceiveOutput(e.Data);
        process.ErrorDataReceived += (_, e) => proxy.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await proxy.WaitUntilReadyAsync();
        return proxy;
    }

    /// <summary>Sends SIGTERM (what an orchestrator sends for a graceful shutdown) without waiting for the exit.</summary>
    public async Task TerminateAsync()
    {
        using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await term.WaitForExitAsync();
    }

    /// <summary>Stops the process with SIGTERM (a graceful shutdown) and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            await TerminateAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void ReceiveOutput(string? line)
    {
        if (line is null)
        {
            _listening.TrySetException(new InvalidOperationException("The proxy closed its standard output before it said it listens."));
            return;
        }

        Append(line);
        if (line.StartsWith("claudecache ", StringComparison.Ordinal) && line.Contains(" listening on ", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>
    /// Waits for the proxy's startup line, which it prints once it listens; a proxy that exits (or closes its output)
    /// first fails the test with what it wrote. The bound only ends a wait for a proxy that hangs.
    /// </summary>
    private async Task WaitUntilReadyAsync()
    {
        try
        {
            await _listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            var exited = await ExitedAsync();
            throw new InvalidOperationException(
                $"The proxy {(exited is { } code ? $"exited with {code}" : "still runs but did not say it listens")} before it was ready: {Output}", ex);
        }
    }

    /// <summary>The exit code once the process has ended (it may still be going down after closing its output), or null.</summary>
    private async Task<int?> ExitedAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(grace.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
