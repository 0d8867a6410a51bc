using ClaudeCache.Caching;
using ClaudeCache.Storage.Redis;
using ClaudeCache.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// The stores behind the engine, chosen by <c>ClaudeCache:Storage:Provider</c>: the second tier, the ledger's store,
/// and on Redis the backplane and the cross-instance lock. The compositions themselves live with their stores
/// (<see cref="SqliteCacheStores"/>, <see cref="RedisCacheStores"/>, <see cref="MemoryCacheStores"/>), where the
/// in-process library uses them too.
/// </summary>
internal static class StoreComposition
{
    public static ICacheStores Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ProxyOptions>>().Value.Storage;
        var time = services.GetRequiredService<TimeProvider>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        return options.Provider switch
        {
            "sqlite" => new SqliteCacheStores(
                new SqliteStoreOptions { Path = options.SqlitePath, MaxBytes = options.MaxBytes, CleanupInterval = options.CleanupInterval },
                time,
                loggers),
            "redis" => new RedisCacheStores(options.Redis, time, loggers),
            _ => new MemoryCacheStores(),
        };
    }
}
