using ClaudeCache.Caching;
using ClaudeCache.Costs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeCache.Storage.Redis;

/// <summary>
/// The <c>redis</c> provider, as the proxy and in-process users compose it: one <see cref="RedisConnection"/> shared by
/// the second tier (<see cref="RedisSecondTier"/>), the savings ledger (<see cref="RedisLedgerStore"/>), the
/// cross-instance lock (<see cref="RedisLock"/>, when <see cref="RedisStoreOptions.Lock"/>) and, once started, the
/// invalidation backplane (<see cref="RedisBackplane"/>, when <see cref="RedisStoreOptions.Backplane"/>).
/// </summary>
/// <remarks>
/// Nothing connects in the constructor. <see cref="Start"/> connects in the background (so the first requests do not
/// spend their operation timeout on the handshake) and subscribes the backplane, retrying while Redis is down; the
/// backplane is unsubscribed when the cache is disposed. <see cref="DisposeAsync"/> closes the connection: dispose the
/// stores after the cache and the ledger, which write through it until they are disposed.
/// </remarks>
public sealed class RedisCacheStores : ICacheStores
{
    private readonly ILoggerFactory _loggers;
    private readonly RedisSecondTier _tier;
    private readonly CancellationTokenSource _disposing = new();
    private CancellationTokenSource? _running;
    private RedisBackplane? _backplane;
    private int _started;
    private int _disposed;

    /// <summary>Creates the connection and the components on it. Does no I/O.</summary>
    /// <exception cref="ArgumentException">An option is out of range or the configuration string does not parse.</exception>
    public RedisCacheStores(RedisStoreOptions options, TimeProvider timeProvider, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _loggers = loggerFactory ?? NullLoggerFactory.Instance;
        Connection = new RedisConnection(options, _loggers.CreateLogger<RedisConnection>());
        _tier = new RedisSecondTier(Connection, timeProvider, _loggers.CreateLogger<RedisSecondTier>());
        LedgerStore = new RedisLedgerStore(Connection);
        Coalescer = options.Lock ? new RedisLock(Connection, _loggers.CreateLogger<RedisLock>(), timeProvider) : null;
    }

    /// <summary>The one connection every component shares.</summary>
    public RedisConnection Connection { get; }

    /// <inheritdoc />
    public ISecondTier? SecondTier => _tier;

    /// <inheritdoc />
    public ILedgerStore LedgerStore { get; }

    /// <inheritdoc />
    public IDistributedCoalescer? Coalescer { get; }

    /// <summary>The backplane, once <see cref="Start"/> has run with <see cref="RedisStoreOptions.Backplane"/> on.</summary>
    public RedisBackplane? Backplane => Volatile.Read(ref _backplane);

    /// <inheritdoc />
    public void Start(ResponseCache cache, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("These stores have been started already: each cache needs stores of its own.");
        }

        var running = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token, stopping);
        _running = running;
        Observe(Connection.ConnectAsync(running.Token));
        if (!Connection.Options.Backplane)
        {
            return;
        }

        var backplane = new RedisBackplane(Connection, cache.EvictLocal, _loggers.CreateLogger<RedisBackplane>());
        Volatile.Write(ref _backplane, backplane);
        cache.Backplane = backplane;

        // Unsubscribed when the cache is disposed: after its last writes, before its memory tier goes.
        cache.DisposeWith(backplane);
        Observe(backplane.StartAsync(running.Token));
    }

    /// <summary>Stops the background work, unsubscribes the backplane (if the cache has not) and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _backplane) is { } backplane)
        {
            await backplane.DisposeAsync().ConfigureAwait(false);
        }

        await Connection.DisposeAsync().ConfigureAwait(false);
        _running?.Dispose();
        _disposing.Dispose();
    }

    // Background work logs its own failures (the connection, the backplane); its end needs no one to wait for it.
    private static void Observe(Task task) =>
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
