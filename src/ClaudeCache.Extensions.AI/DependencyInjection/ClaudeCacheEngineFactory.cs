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
/// their runner, the request preparer — for applications without dependency injection, and for it.
/// </summary>
public static class ClaudeCacheEngineFactory
{
    /// <summary>
    /// Creates an engine from validated <paramref name="options"/>. Dispose its <see cref="CacheEngine.Cache"/>
    /// (<c>await engine.Cache.DisposeAsync()</c>) to flush pending writes and close the store.
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
        var cache = CreateCache(options, time, logs, metrics ?? new ClaudeCacheMetrics(null));
        var flights = new FlightRegistry();
        var runner = new FlightRunner(cache, flights, time, options.UpstreamTimeout, logs.CreateLogger<FlightRunner>());
        var preparer = new RequestPreparer(new CachePolicyResolver(options.Strategies), options.Tenant);
        // Results of GetOrCallAsync carry their cost (a miss) or saving (a hit) at the shipped prices.
        return new CacheEngine(preparer, cache, flights, runner)
        {
            CostEstimator = new PriceTableCostEstimator(new CostCalculator(PriceTable.LoadDefault()), time),
        };
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
