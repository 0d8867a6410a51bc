using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ClaudeCache.Testing.Redis;

/// <summary>
/// A real <c>redis-server</c> process on a free loopback port, in a temporary directory, with persistence off
/// (or a Sentinel, <see cref="StartSentinelAsync"/>). It can be killed and started again on the same port, to test
/// what clients do while Redis is gone.
/// </summary>
/// <remarks>Needs <c>redis-server</c> on the PATH (<c>./test.sh</c> installs it).</remarks>
public sealed class RedisServer : IAsyncDisposable
{
    private const string SentinelConfigFile = "sentinel.conf";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<string> _extraArguments;
    private readonly bool _sentinel;
    private Process? _process;

    private RedisServer(int port, string directory, IReadOnlyList<string> extraArguments, bool sentinel)
    {
        Port = port;
        Directory = directory;
        _extraArguments = extraArguments;
        _sentinel = sentinel;
    }

    /// <summary>The loopback port the server listens on (kept across restarts).</summary>
    public int Port { get; }

    /// <summary><c>127.0.0.1:port</c>, usable as a StackExchange.Redis configuration string.</summary>
    public string EndPoint => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>The server's working directory (its log is <c>redis.log</c> there).</summary>
    public string Directory { get; }

    /// <summary>True while the process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a standalone server and waits until it answers PING.</summary>
    public static Task<RedisServer> StartAsync(CancellationToken cancellationToken = default) =>
        StartAsync([], needsClusterBusPort: false, cancellationToken);

    /// <summary>
    /// Starts a server with extra <c>redis-server</c> arguments. <paramref name="needsClusterBusPort"/> also reserves
    /// port + 10000, which a cluster node listens on.
    /// </summary>
    public static Task<RedisServer> StartAsync(IReadOnlyList<string> extraArguments, bool needsClusterBusPort, CancellationToken cancellationToken = default) =>
        StartAsync(extraArguments, needsClusterBusPort, sentinel: false, cancellationToken);

    /// <summary>
    /// Starts a Sentinel (<c>redis-server sentinel.conf --sentinel</c>, the config file its own, in its directory,
    /// rewritten by Sentinel as it learns) and waits until it answers PING. <paramref name="extraArguments"/> carry
    /// its configuration, for example <c>--sentinel monitor mymaster 127.0.0.1 6379 2</c>.
    /// </summary>
    public static Task<RedisServer> StartSentinelAsync(IReadOnlyList<string> extraArguments, CancellationToken cancellationToken = default) =>
        StartAsync(extraArguments, needsClusterBusPort: false, sentinel: true, cancellationToken);

    private static async Task<RedisServer> StartAsync(IReadOnlyList<string> extraArguments, bool needsClusterBusPort, bool sentinel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(extraArguments);
        // Another process may take a probed port before redis-server binds it: try a few.
        for (var attempt = 1; ; attempt++)
        {
            var directory = System.IO.Directory.CreateTempSubdirectory("claudecache-redis-").FullName;
            var server = new RedisServer(FindFreePort(needsClusterBusPort), directory, extraArguments, sentinel);
            try
            {
                await server.RestartAsync(cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Kills the process (SIGKILL, like a crash) and waits for it to exit. The directory stays.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Starts the server (again) on the same port and waits until it answers PING.</summary>
    /// <exception cref="InvalidOperationException">The server did not come up (its log is in the message).</exception>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync().ConfigureAwait(false);
        var start = new ProcessStartInfo("redis-server")
        {
            WorkingDirectory = Directory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (_sentinel)
        {
            // Sentinel refuses to run without a config file of its own (first argument) that it can rewrite.
            var configFile = Path.Combine(Directory, SentinelConfigFile);
            if (!File.Exists(configFile))
            {
                await File.WriteAllTextAsync(configFile, string.Empty, cancellationToken).ConfigureAwait(false);
            }

            start.ArgumentList.Add(configFile);
            start.ArgumentList.Add("--sentinel");
        }

        foreach (var argument in (string[])[
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", string.Empty,
            "--appendonly", "no",
            "--dir", Directory,
            "--logfile", Path.Combine(Directory, "redis.log"),
            "--daemonize", "no",
        ])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var argument in _extraArguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException("redis-server is not installed (run ./test.sh, or apt-get install redis-server).", ex);
        }

        // Drained so a chatty server never blocks on a full pipe.
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;

        var stopwatch = Stopwatch.StartNew();
        while (!await RedisProbe.PingAsync(Port, TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false))
        {
            if (_process.HasExited || stopwatch.Elapsed > StartTimeout)
            {
                var log = ReadLog();
                await StopAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"redis-server on port {Port} did not answer PING. Log:\n{log}");
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends one command (see <see cref="RedisProbe"/>).</summary>
    public Task<string?> SendAsync(params string[] command) => RedisProbe.SendAsync(Port, command, TimeSpan.FromSeconds(5));

    /// <summary>Kills the server and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail a test run.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private string ReadLog()
    {
        try
        {
            return File.ReadAllText(Path.Combine(Directory, "redis.log"));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    private void KillOnExit(object? sender, EventArgs e)
    {
        try
        {
            _process?.Kill();
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static int FindFreePort(bool needsClusterBusPort)
    {
        while (true)
        {
            // Below 55535 so that the cluster bus port (port + 10000) exists.
            var port = Random.Shared.Next(20000, 55000);
            if (IsFree(port) && (!needsClusterBusPort || IsFree(port + 10000)))
            {
                return port;
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
