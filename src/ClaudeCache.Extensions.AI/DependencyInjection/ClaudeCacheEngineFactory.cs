using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Policy;
using ClaudeCache.Storage.Sqlite;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeCache.Extensions.AI.DependencyInjection;

/// <summary>
/// Composes the engine the way the proxy does — a <see cref="ResponseCache"/> over the SQLite tier, flights and
/// their runner, the request preparer, the savings ledger in the same store — for applications without dependency injection, and for it.
/// </summary>
public static class ClaudeCacheEngineFactory
{
    /// <summary>
    /// Creates an engine from validated <paramref name="options"/>, with its savings ledger
    /// (<see cref="CacheEngine.Ledger"/>). Dispose its <see cref="CacheEngine.Cache"/>
    /// (<c>await engine.Cache.DisposeAsync()</c>) to flush pending writes and the ledger, and close the store.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid (see <see cref="ClaudeCacheOptionsValidator"/>).</exception>
    public static CacheEngine Create(
        ClaudeCacheOptions options,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        ClaudeCacheMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new ClaudeCacheOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        var time = timeProvider ?? TimeProvider.System;
        var logs = loggerFactory ?? NullLoggerFactory.Instance;
        var meters = metrics ?? new ClaudeCacheMetrics(null);
        var cache = CreateCache(options, time, logs, meters);
        var flights = new FlightRegistry();
        var runner = new FlightRunner(cache, flights, time, options.UpstreamTimeout, logs.CreateLogger<FlightRunner>());
        var preparer = new RequestPreparer(new CachePolicyResolver(options.Strategies), options.Tenant);
        var costs = CreateCostCalculator(options);

        // The proxy's ledger, over the cache's own store; flushed when the cache is disposed.
        var ledger = CreateLedger(options, time, logs);
        cache.DisposeWith(ledger);

        // Results of GetOrCallAsync carry their cost (a miss) or saving (a hit) at the same prices.
        return new CacheEngine(preparer, cache, flights, runner)
        {
            CostEstimator = new PriceTableCostEstimator(costs, time),
            Ledger = new LedgerRecorder(ledger, costs, meters, time, options.Costs.Enabled),
        };
    }

    /// <summary>Prices from the shipped table, with <c>Costs:PricesFile</c>'s rows over it when set.</summary>
    public static CostCalculator CreateCostCalculator(ClaudeCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new CostCalculator(PriceTable.LoadWithOverride(options.Costs.PricesFile));
    }

    /// <summary>
    /// The savings ledger over the same store as the cache: the SQLite file's ledger tables (shared with a proxy on
    /// that file), or process memory. Dispose it to flush its pending counts.
    /// </summary>
    public static SavingsLedger CreateLedger(ClaudeCacheOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ILedgerStore store = options.Storage.Provider == "sqlite"
            ? new SqliteLedgerStore(options.Storage.SqlitePath)
            : new MemoryLedgerStore();
        return new SavingsLedger(store, timeProvider, options.Costs.LedgerFlushInterval, loggerFactory.CreateLogger<SavingsLedger>());
    }

    /// <summary>The tiered cache alone (what the chat middleware needs).</summary>
    public static ResponseCache CreateCache(ClaudeCacheOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory, ClaudeCacheMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ISecondTier? secondTier = options.Storage.Provider == "sqlite"
            ? new SqliteSecondTier(
                new SqliteStoreOptions { Path = options.Storage.SqlitePath, MaxBytes = options.Storage.MaxBytes, CleanupInterval = options.Storage.CleanupInterval },
                timeProvider,
                loggerFactory.CreateLogger<SqliteSecondTier>())
            : null;
        return new ResponseCache(options.Cache, secondTier, timeProvider, metrics, loggerFactory.CreateLogger<ResponseCache>());
    }
}
