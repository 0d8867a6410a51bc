using System.Diagnostics;
using System.Globalization;

namespace ClaudeCache.Testing.Redis;

/// <summary>
/// A real Sentinel deployment on loopback ports: a primary, one replica of it, and Sentinels monitoring the pair under
/// one service name, tuned to fail over within a few seconds (<see cref="DownAfter"/>, <see cref="FailoverTimeout"/>).
/// Returned once the replica is in sync and every Sentinel knows the replica and all the other Sentinels, so that a
/// failover can start as soon as the primary is found down.
/// </summary>
public sealed class RedisSentinelGroup : IAsyncDisposable
{
    /// <summary>How long the primary must not answer before a Sentinel considers it down.</summary>
    public static readonly TimeSpan DownAfter = TimeSpan.FromMilliseconds(1000);

    /// <summary>
    /// Sentinel's failover timeout: also bounds a leader election (a split vote is retried after twice this), so
    /// short, but well above the second or so a promotion takes.
    /// </summary>
    public static readonly TimeSpan FailoverTimeout = TimeSpan.FromMilliseconds(3000);

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);

    private readonly List<RedisServer> _sentinels = [];

    private RedisSentinelGroup(string serviceName) => ServiceName = serviceName;

    /// <summary>The name the Sentinels monitor the primary under (<c>serviceName=</c> in a client configuration).</summary>
    public string ServiceName { get; }

    /// <summary>The server started as the primary (after a failover, <see cref="GetPrimaryAsync"/> says which one is).</summary>
    public RedisServer Primary { get; private set; } = null!;

    /// <summary>The server started as the replica of <see cref="Primary"/>.</summary>
    public RedisServer Replica { get; private set; } = null!;

    /// <summary>The Sentinels.</summary>
    public IReadOnlyList<RedisServer> Sentinels => _sentinels;

    /// <summary>
    /// Every Sentinel's endpoint and the service name, comma-separated: a StackExchange.Redis configuration string
    /// (<c>127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3,serviceName=…</c>).
    /// </summary>
    public string Configuration => string.Join(',', _sentinels.Select(sentinel => sentinel.EndPoint)) + ",serviceName=" + ServiceName;

    /// <summary>
    /// Starts a primary, its replica and <paramref name="sentinels"/> Sentinels (quorum: a majority of them), and
    /// waits until the deployment is ready (see the type's remarks).
    /// </summary>
    public static async Task<RedisSentinelGroup> StartAsync(int sentinels = 3, string serviceName = "claudecache", CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sentinels, 1);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        var group = new RedisSentinelGroup(serviceName);
        try
        {
            // No delay before a full sync (Redis 7 waits 5 s by default, to batch replicas).
            string[] replication = ["--repl-diskless-sync-delay", "0"];
            group.Primary = await RedisServer.StartAsync(replication, needsClusterBusPort: false, cancellationToken).ConfigureAwait(false);
            group.Replica = await RedisServer.StartAsync(
                [.. replication, "--replicaof", "127.0.0.1", Port(group.Primary)],
                needsClusterBusPort: false,
                cancellationToken).ConfigureAwait(false);

            // A Sentinel learns the replicas from the primary's INFO, which it reads on connecting and then only every
            // 10 s: the replica must be attached before the Sentinels start.
            await WaitAsync(
                async () => Field(await group.Replica.SendAsync("INFO", "replication").ConfigureAwait(false), "master_link_status") == "up",
                "the replica did not sync with the primary",
                cancellationToken).ConfigureAwait(false);

            var quorum = (sentinels / 2) + 1;
            string[] arguments =
            [
                "--sentinel", "monitor", serviceName, "127.0.0.1", Port(group.Primary), quorum.ToString(CultureInfo.InvariantCulture),
                "--sentinel", "down-after-milliseconds", serviceName, Milliseconds(DownAfter),
                "--sentinel", "failover-timeout", serviceName, Milliseconds(FailoverTimeout),
            ];
            var started = await Task.WhenAll(Enumerable.Range(0, sentinels)
                .Select(_ => RedisServer.StartSentinelAsync(arguments, cancellationToken))).ConfigureAwait(false);
            group._sentinels.AddRange(started);

            // Sentinels find each other through hello messages on the primary, every 2 s.
            foreach (var sentinel in group._sentinels)
            {
                await WaitAsync(
                    async () => await group.DescribeAsync(sentinel).ConfigureAwait(false) is { } master
                        && master.Contains("status=ok,", StringComparison.Ordinal)
                        && master.Contains(string.Create(CultureInfo.InvariantCulture, $",address={group.Primary.EndPoint},slaves=1,sentinels={sentinels}"), StringComparison.Ordinal),
                    $"Sentinel {sentinel.EndPoint} did not discover the replica and the other Sentinels",
                    cancellationToken).ConfigureAwait(false);
            }

            return group;
        }
        catch
        {
            await group.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The data server that every running Sentinel names as the primary and that itself reports <c>role:master</c>;
    /// null while they disagree (a failover in progress) or it does not answer.
    /// </summary>
    public async Task<RedisServer?> GetPrimaryAsync()
    {
        string? address = null;
        foreach (var sentinel in _sentinels.Where(sentinel => sentinel.IsRunning))
        {
            var named = await DescribeAsync(sentinel).ConfigureAwait(false) is { } master ? Part(master, "address") : null;
            if (named is null || (address is not null && address != named))
            {
                return null;
            }

            address = named;
        }

        var server = new[] { Primary, Replica }.FirstOrDefault(server => server.EndPoint == address);
        if (server is null || !server.IsRunning)
        {
            return null;
        }

        try
        {
            return Field(await server.SendAsync("INFO", "replication").ConfigureAwait(false), "role") == "master" ? server : null;
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// Waits until the replica has applied every write the primary had when called (replication offsets), so that a
    /// failover loses nothing written before.
    /// </summary>
    public async Task WaitUntilReplicatedAsync(CancellationToken cancellationToken = default)
    {
        var target = long.Parse(
            Field(await Primary.SendAsync("INFO", "replication").ConfigureAwait(false), "master_repl_offset") ?? "-1",
            CultureInfo.InvariantCulture);
        await WaitAsync(
            async () => long.TryParse(
                Field(await Replica.SendAsync("INFO", "replication").ConfigureAwait(false), "slave_repl_offset"),
                CultureInfo.InvariantCulture,
                out var offset) && offset >= target,
            $"the replica did not reach replication offset {target}",
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills the Sentinels, then the data servers, and deletes their directories.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var server in _sentinels.Append(Primary).Append(Replica))
        {
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The Sentinel's line for the service in <c>INFO sentinel</c> (<c>name=…,status=…,address=…,slaves=…,sentinels=…</c>).</summary>
    private async Task<string?> DescribeAsync(RedisServer sentinel)
    {
        try
        {
            var info = await sentinel.SendAsync("INFO", "sentinel").ConfigureAwait(false);
            return info?.Split("\r\n").FirstOrDefault(line => line.StartsWith("master", StringComparison.Ordinal)
                && line.Contains(":name=" + ServiceName + ",", StringComparison.Ordinal));
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return null;
        }
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string failure, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (stopwatch.Elapsed > ReadyTimeout)
            {
                throw new InvalidOperationException($"After {ReadyTimeout.TotalSeconds} s, {failure}.");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The value of <c>name:value</c> in an INFO reply.</summary>
    private static string? Field(string? info, string name) =>
        info?.Split("\r\n").FirstOrDefault(line => line.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..];

    /// <summary>The value of <c>name=value</c> in a comma-separated INFO line.</summary>
    private static string? Part(string line, string name) =>
        line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(',').FirstOrDefault(part => part.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];

    private static string Port(RedisServer server) => server.Port.ToString(CultureInfo.InvariantCulture);

    private static string Milliseconds(TimeSpan span) => ((long)span.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
}
