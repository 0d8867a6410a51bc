using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ClaudeCache.Storage.Redis;

/// <summary>
/// The process's one connection to Redis: a single multiplexer (every caller shares its sockets; commands are
/// pipelined), shared by the second tier, the backplane and the lock.
/// </summary>
/// <remarks>
/// <para>
/// <b>Lazy and forgiving.</b> The constructor parses the configuration but does no I/O; the first operation starts
/// connecting. <c>abortConnect</c> is forced off, so a Redis that is down at start-up does not stop the process: the
/// multiplexer keeps retrying every <see cref="RedisStoreOptions.ReconnectRetryInterval"/> and operations fail (the
/// cache serves misses) until it succeeds. Should the first attempt fail outright (for example no Sentinel
/// answers), the next operation after the retry interval starts a new one.
/// </para>
/// <para>
/// <b>Fail fast.</b> Commands issued while disconnected fail at once instead of queueing for the reconnect
/// (<see cref="BacklogPolicy.FailFast"/>): a cache that waits is worse than a miss. Each caller bounds its own
/// operations by <see cref="RedisStoreOptions.OperationTimeout"/>.
/// </para>
/// <para>
/// <b>Connect timeout</b> defaults to 2 s (not the client's 5 s) unless the configuration string sets
/// <c>connectTimeout</c>: with Redis down at start-up, the first attempt must time out before reconnecting begins.
/// </para>
/// </remarks>
public sealed class RedisConnection : IAsyncDisposable
{
    private const int DefaultConnectTimeoutMs = 2000;

    private readonly ConfigurationOptions _configuration;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Task<ConnectionMultiplexer>? _connecting;
    private long _connectStartedAt;
    private volatile bool _disposed;

    /// <summary>Creates the connection. Does no I/O; see the remarks on the type.</summary>
    /// <exception cref="ArgumentException">An option is out of range or the configuration string does not parse.</exception>
    public RedisConnection(RedisStoreOptions options, ILogger<RedisConnection>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _configuration = CreateConfiguration(options);
    }

    /// <summary>The options every component on this connection follows.</summary>
    public RedisStoreOptions Options { get; }

    /// <summary>True when the multiplexer exists and has at least one live connection.</summary>
    public bool IsConnected => Volatile.Read(ref _connecting) is { IsCompletedSuccessfully: true } task && task.Result.IsConnected;

    /// <summary>
    /// The multiplexer, once the first connection attempt has returned (which, with Redis down, takes up to the
    /// configured connect timeout). Callers bound the wait themselves.
    /// </summary>
    public async Task<IConnectionMultiplexer> GetMultiplexerAsync(CancellationToken cancellationToken) =>
        await GetConnectTask().WaitAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Starts connecting now rather than on the first operation, and waits for the first attempt to return (it
    /// returns disconnected, not failed, when Redis is down). Hosts call it at start-up, in the background, so the
    /// first requests do not spend their operation timeout on the handshake.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken) =>
        await GetMultiplexerAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>The database, as <see cref="GetMultiplexerAsync"/>.</summary>
    public async Task<IDatabase> GetDatabaseAsync(CancellationToken cancellationToken) =>
        (await GetMultiplexerAsync(cancellationToken).ConfigureAwait(false)).GetDatabase();

    /// <summary>The pub/sub subscriber, as <see cref="GetMultiplexerAsync"/>.</summary>
    public async Task<ISubscriber> GetSubscriberAsync(CancellationToken cancellationToken) =>
        (await GetMultiplexerAsync(cancellationToken).ConfigureAwait(false)).GetSubscriber();

    /// <summary>Closes the multiplexer (at once if it exists, else as soon as the pending attempt returns).</summary>
    public async ValueTask DisposeAsync()
    {
        Task<ConnectionMultiplexer>? connecting;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            connecting = _connecting;
        }

        if (connecting is null)
        {
            return;
        }

        if (connecting.IsCompletedSuccessfully)
        {
            await connecting.Result.DisposeAsync().ConfigureAwait(false);
            return;
        }

        // Still connecting: do not hold up shutdown for the connect timeout; close it when it returns.
        _ = connecting.ContinueWith(
            static t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    t.Result.Dispose();
                }
                else
                {
                    _ = t.Exception;
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private Task<ConnectionMultiplexer> GetConnectTask()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var current = Volatile.Read(ref _connecting);
        if (current is not null && !current.IsFaulted && !current.IsCanceled)
        {
            return current;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            current = _connecting;
            if (current is not null && (!(current.IsFaulted || current.IsCanceled)
                || Stopwatch.GetElapsedTime(_connectStartedAt) < Options.ReconnectRetryInterval))
            {
                // A failed attempt is retried no more often than the retry interval; until then callers see its error.
                return current;
            }

            _connectStartedAt = Stopwatch.GetTimestamp();
            current = StartConnectAsync();
            Volatile.Write(ref _connecting, current);
            return current;
        }
    }

    private async Task<ConnectionMultiplexer> StartConnectAsync()
    {
        try
        {
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(_configuration.Clone()).ConfigureAwait(false);
            multiplexer.ConnectionFailed += OnConnectionFailed;
            multiplexer.ConnectionRestored += OnConnectionRestored;
            if (!multiplexer.IsConnected)
            {
                Log.StartedDisconnected(_logger);
            }

            return multiplexer;
        }
        catch (Exception ex)
        {
            Log.ConnectFailed(_logger, ex);
            throw;
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e) =>
        Log.ConnectionFailed(_logger, e.EndPoint, e.FailureType, e.ConnectionType, e.Exception);

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) =>
        Log.ConnectionRestored(_logger, e.EndPoint, e.ConnectionType);

    private static ConfigurationOptions CreateConfiguration(RedisStoreOptions options)
    {
        ConfigurationOptions configuration;
        try
        {
            configuration = ConfigurationOptions.Parse(options.Configuration);
        }
        catch (Exception ex) when (ex is ArgumentException or RedisConnectionException)
        {
            throw new ArgumentException($"RedisStoreOptions.Configuration does not parse: {ex.Message}", nameof(options), ex);
        }

        if (configuration.EndPoints.Count == 0)
        {
            throw new ArgumentException("RedisStoreOptions.Configuration must name at least one Redis endpoint.", nameof(options));
        }

        // A cache's Redis is close by; the client's 5 s default would also be how long recovery waits when Redis
        // is down at start-up, since the first attempt must time out before the reconnect loop takes over.
        if (!options.Configuration.Contains("connectTimeout", StringComparison.OrdinalIgnoreCase))
        {
            configuration.ConnectTimeout = DefaultConnectTimeoutMs;
        }

        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ReconnectRetryPolicy = new LinearRetry((int)Math.Max(1, options.ReconnectRetryInterval.TotalMilliseconds));
        configuration.ClientName ??= "claudecache";
        return configuration;
    }
}
