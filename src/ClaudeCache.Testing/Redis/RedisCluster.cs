using System.Diagnostics;
using System.Globalization;

namespace ClaudeCache.Testing.Redis;

/// <summary>
/// A real Redis Cluster of primaries without replicas on loopback ports, created with
/// <c>redis-cli --cluster create</c> and ready (<c>cluster_state:ok</c> on every node) when returned.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(15);

    private RedisCluster(IReadOnlyList<RedisServer> nodes) => Nodes = nodes;

    /// <summary>The primaries.</summary>
    public IReadOnlyList<RedisServer> Nodes { get; }

    /// <summary>Every node's endpoint, comma-separated: a StackExchange.Redis configuration string.</summary>
    public string Configuration => string.Join(',', Nodes.Select(node => node.EndPoint));

    /// <summary>Starts <paramref name="primaries"/> nodes (at least three), joins them and waits for the cluster.</summary>
    public static async Task<RedisCluster> StartAsync(int primaries = 3, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(primaries, 3);
        var nodes = new List<RedisServer>();
        var cluster = new RedisCluster(nodes);
        try
        {
            var started = await Task.WhenAll(Enumerable.Range(0, primaries).Select(_ => RedisServer.StartAsync(
                ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"],
                needsClusterBusPort: true,
                cancellationToken))).ConfigureAwait(false);
            nodes.AddRange(started);
            await CreateAsync(nodes, cancellationToken).ConfigureAwait(false);
            await WaitUntilReadyAsync(nodes, cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Kills every node and deletes their directories.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task CreateAsync(IReadOnlyList<RedisServer> nodes, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("redis-cli")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("--cluster");
        start.ArgumentList.Add("create");
        foreach (var node in nodes)
        {
            start.ArgumentList.Add(node.EndPoint);
        }

        foreach (var argument in (string[])["--cluster-replicas", "0", "--cluster-yes"])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            var stdout = await output.ConfigureAwait(false);
            var stderr = await error.ConfigureAwait(false);
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture,
                $"redis-cli --cluster create exited with {process.ExitCode}:\n{stdout}\n{stderr}"));
        }
    }

    private static async Task WaitUntilReadyAsync(IReadOnlyList<RedisServer> nodes, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        foreach (var node in nodes)
        {
            while (true)
            {
                var info = await node.SendAsync("CLUSTER", "INFO").ConfigureAwait(false);
                if (info is not null && info.Contains("cluster_state:ok", StringComparison.Ordinal))
                {
                    break;
                }

                if (stopwatch.Elapsed > ReadyTimeout)
                {
                    throw new InvalidOperationException($"The cluster did not reach cluster_state:ok; node {node.EndPoint} says:\n{info}");
                }

                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
