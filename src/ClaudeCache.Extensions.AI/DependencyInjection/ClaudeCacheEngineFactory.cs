using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Storage.Sqlite;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Extensions.AI;

/// <summary>
/// Composes the engine the way the proxy does — stores chosen by <c>Storage:Provider</c>, a <see cref="ResponseCache"/>
/// over their second tier, flights and their runner (coalescing across instances when the stores are shared), the
/// request preparer, the savings ledger in the same store — for applications without dependency injection, and for it.
/// </summary>
public static class ClaudeCacheEngineFactory
{
    /// <summary>
    /// Creates an engine from validated <paramref name="options"/> over the built-in provider they name
    /// (<c>sqlite</c> or <c>memory</c>), with its savings ledger (<see cref="CacheEngine.Ledger"/>). Dispose its
    /// <see cref="CacheEngine.Cache"/> (<c>await engine.Cache.DisposeAsync()</c>) to flush pending writes and the
    /// ledger, and close the store. For Redis, pass the stores:
    /// <see cref="Create(ClaudeCacheOptions, ICacheStores, TimeProvider?, ILoggerFactory?, ClaudeCacheMetrics?)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The options are invalid (see <see cref="ClaudeCacheOptionsValidator"/>), or name a provider that is not built in.
    /// </exception>
    public static CacheEngine Create(
        ClaudeCacheOptions options,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        ClaudeCacheMetrics? metrics = null)
    {
        Validate(options);
        var time = timeProvider ?? TimeProvider.System;
        var logs = loggerFactory ?? NullLoggerFactory.Instance;
        return Compose(options, CreateStores(options, time, logs), time, logs, metrics);
    }

    /// <summary>
    /// Creates an engine over <paramref name="stores"/> — for example <c>new RedisCacheStores(redisOptions, ...)</c>
    /// from <c>ClaudeCache.Storage.Redis</c>, so several processes share one cache — instead of the provider named by
    /// <c>Storage:Provider</c> (the other <c>Storage</c> settings are not used either). The engine owns the stores:
    /// they are started now and disposed with <see cref="CacheEngine.Cache"/>, after its writes and the ledger.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid (see <see cref="ClaudeCacheOptionsValidator"/>).</exception>
    /// <exception cref="InvalidOperationException">The stores were started already (they serve one engine).</exception>
    public static CacheEngine Create(
        ClaudeCacheOptions options,
        ICacheStores stores,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        ClaudeCacheMetrics? metrics = null)
    {
        Validate(options);
        ArgumentNullException.ThrowIfNull(stores);
        return Compose(options, stores, timeProvider ?? TimeProvider.System, loggerFactory ?? NullLoggerFactory.Instance, metrics);
    }

    /// <summary>
    /// The stores of a built-in provider: <c>sqlite</c> (tier and ledger in <c>Storage:SqlitePath</c>) or
    /// <c>memory</c>. Other providers come from their packages (<c>redis</c>: <c>ClaudeCache.Storage.Redis</c>'s
    /// <c>RedisCacheStores</c>, or <c>AddRedisStore()</c> under dependency injection).
    /// </summary>
    /// <exception cref="ArgumentException"><c>Storage:Provider</c> is not a built-in provider.</exception>
    public static ICacheStores CreateStores(ClaudeCacheOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        return options.Storage.Provider switch
        {
            "sqlite" => new SqliteCacheStores(
                new SqliteStoreOptions
                {
                    Path = options.Storage.SqlitePath,
                    MaxBytes = options.Storage.MaxBytes,
                    CleanupInterval = options.Storage.CleanupInterval,
                    TombstoneTimeToLive = options.Cache.TombstoneTimeToLive,
                    Exclusive = options.Storage.SqliteExclusive,
                },
                timeProvider,
                loggerFactory),
            "memory" => new MemoryCacheStores(),
            "redis" => throw new ArgumentException(
                "ClaudeCache:Storage:Provider 'redis' needs the Redis store: with dependency injection call services.AddClaudeCache(...).AddRedisStore() "
                + "(package ClaudeCache.Extensions.AI.Redis); without it pass new RedisCacheStores(...) (package ClaudeCache.Storage.Redis) "
                + "to ClaudeCacheEngineFactory.Create(options, stores).",
                nameof(options)),
            var other => throw new ArgumentException($"ClaudeCache:Storage:Provider must be 'sqlite', 'redis' or 'memory', not '{other}'.", nameof(options)),
        };
    }

    /// <summary>Prices from the shipped table, with <c>Costs:PricesFile</c>'s rows over it when set.</summary>
    public static CostCalculator CreateCostCalculator(ClaudeCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new CostCalculator(PriceTable.LoadWithOverride(options.Costs.PricesFile));
    }

    /// <summary>
    /// The savings ledger over the built-in provider's store: the SQLite file's ledger tables (shared with a proxy on
    /// that file), or process memory. Dispose it to flush its pending counts.
    /// </summary>
    /// <exception cref="ArgumentException"><c>Storage:Provider</c> is not a built-in provider (use the overload with the stores).</exception>
    public static SavingsLedger CreateLedger(ClaudeCacheOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ILedgerStore store = options.Storage.Provider switch
        {
            "sqlite" => SqliteLedgerStore.OpenGuarded(options.Storage.SqlitePath, options.Storage.SqliteExclusive),
            "memory" => new MemoryLedgerStore(),
            var other => throw new ArgumentException($"Storage:Provider '{other}' is not built in: use CreateLedger(options, stores, ...).", nameof(options)),
        };
        return new SavingsLedger(store, timeProvider, options.Costs.LedgerFlushInterval, loggerFactory.CreateLogger<SavingsLedger>(), options.Costs.ToLedgerLimits());
    }

    /// <summary>
    /// The savings ledger over <paramref name="stores"/>' ledger store (the SQLite file, Redis — every instance adds to
    /// the same counts — or memory). Dispose it, before the stores, to flush its pending counts.
    /// </summary>
    public static SavingsLedger CreateLedger(ClaudeCacheOptions options, ICacheStores stores, TimeProvider timeProvider, ILoggerFactory loggerFactory, ClaudeCacheMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stores);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        return new SavingsLedger(stores.LedgerStore, timeProvider, options.Costs.LedgerFlushInterval, loggerFactory.CreateLogger<SavingsLedger>(),
            options.Costs.ToLedgerLimits(), metrics);
    }

    /// <summary>The tiered cache alone (what the chat middleware needs), over the built-in provider's stores, which it owns.</summary>
    /// <exception cref="ArgumentException"><c>Storage:Provider</c> is not a built-in provider (use the overload with the stores).</exception>
    public static ResponseCache CreateCache(ClaudeCacheOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory, ClaudeCacheMetrics metrics)
    {
        var stores = CreateStores(options, timeProvider, loggerFactory);
        var cache = CreateCache(options, stores, timeProvider, loggerFactory, metrics);
        cache.DisposeWith(stores);
        return cache;
    }

    /// <summary>
    /// The tiered cache over <paramref name="stores"/>' second tier, with the stores started on it (on Redis: connecting
    /// in the background and the backplane that keeps this memory tier coherent with other instances'). The caller
    /// still owns the stores: dispose them after the cache.
    /// </summary>
    /// <exception cref="InvalidOperationException">The stores were started already (they serve one cache).</exception>
    public static ResponseCache CreateCache(ClaudeCacheOptions options, ICacheStores stores, TimeProvider timeProvider, ILoggerFactory loggerFactory, ClaudeCacheMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stores);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var cache = new ResponseCache(options.Cache, stores.SecondTier, timeProvider, metrics, loggerFactory.CreateLogger<ResponseCache>())
        {
            // Expired entries are kept for their strategy's grace, to answer when the upstream fails.
            GraceOf = options.Strategies.GetGrace,
        };
        stores.Start(cache, CancellationToken.None);
        return cache;
    }

    private static void Validate(ClaudeCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new ClaudeCacheOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }
    }

    /// <summary>
    /// The one composition, <c>AddClaudeCache</c>'s, in a container of its own: the engine an application without
    /// dependency injection gets is the one the proxy and DI users get. The caller owns the engine's cache, which
    /// flushes the ledger and closes the stores when disposed (the container itself holds nothing else to dispose).
    /// </summary>
    private static CacheEngine Compose(ClaudeCacheOptions options, ICacheStores stores, TimeProvider time, ILoggerFactory logs, ClaudeCacheMetrics? metrics)
    {
        var services = new ServiceCollection();
        services.AddSingleton(time);
        services.AddSingleton(logs);
        services.AddSingleton(stores);
        if (metrics is not null)
        {
            services.AddSingleton(metrics);
        }

        // The options as given (already validated above), not bound from configuration.
        services.AddSingleton(Options.Create(options));
        services.AddClaudeCache();
        var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<CacheEngine>();
        engine.Cache.DisposeWith(stores);
        return engine;
    }
}
