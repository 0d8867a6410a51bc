using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Storage.Redis;
using ClaudeCache.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// The stores behind the engine, chosen by <c>ClaudeCache:Storage:Provider</c>: the second tier, the ledger's
/// store, and on Redis the backplane and the cross-instance lock.
/// </summary>
internal sealed class StoreComposition : IAsyncDisposable
{
    private StoreComposition(ISecondTier? tier, ILedgerStore ledger, RedisConnection? redis, IDistributedCoalescer? coalescer)
    {
        SecondTier = tier;
        LedgerStore = ledger;
        Redis = redis;
        Coalescer = coalescer;
    }

    public ISecondTier? SecondTier { get; }

    public ILedgerStore LedgerStore { get; }

    /// <summary>The shared Redis connection, when the provider is Redis.</summary>
    public RedisConnection? Redis { get; }

    public IDistributedCoalescer? Coalescer { get; }

    public static StoreComposition Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ProxyOptions>>().Value.Storage;
        var time = services.GetRequiredService<TimeProvider>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        switch (options.Provider)
        {
            case "sqlite":
                var sqlite = new SqliteSecondTier(
                    new SqliteStoreOptions { Path = options.SqlitePath, MaxBytes = options.MaxBytes, CleanupInterval = options.CleanupInterval },
                    time,
                    loggers.CreateLogger<SqliteSecondTier>());
                return new StoreComposition(sqlite, new SqliteLedgerStore(options.SqlitePath), null, null);
            case "redis":
                var connection = new RedisConnection(options.Redis, loggers.CreateLogger<RedisConnection>());
                var tier = new RedisSecondTier(connection, time, loggers.CreateLogger<RedisSecondTier>());
                var coalescer = options.Redis.Lock ? new RedisLock(connection, loggers.CreateLogger<RedisLock>()) : null;
                return new StoreComposition(tier, new RedisLedgerStore(connection), connection, coalescer);
            default:
                return new StoreComposition(null, new MemoryLedgerStore(), null, null);
        }
    }

    /// <summary>
    /// On Redis: connects in the background (so the first requests do not pay the handshake) and subscribes the
    /// backplane, which evicts from this instance's memory tier what other instances replaced or removed.
    /// </summary>
    public RedisBackplane? Start(ResponseCache cache, bool backplane, ILoggerFactory loggers, CancellationToken stopping)
    {
        if (Redis is null)
        {
            return null;
        }

        _ = Redis.ConnectAsync(stopping).ContinueWith(_ => { }, TaskScheduler.Default);
        if (!backplane)
        {
            return null;
        }

        var plane = new RedisBackplane(Redis, cache.EvictLocal, loggers.CreateLogger<RedisBackplane>());
        cache.Backplane = plane;
        _ = plane.StartAsync(stopping).ContinueWith(_ => { }, TaskScheduler.Default);
        return plane;
    }

    public async ValueTask DisposeAsync()
    {
        if (Redis is not null)
        {
            await Redis.DisposeAsync().ConfigureAwait(false);
        }
    }
}
