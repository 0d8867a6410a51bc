using ClaudeCache;
using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Extensions.AI;
using ClaudeCache.Pipeline;
using ClaudeCache.PromptCaching;
using ClaudeCache.Extensions.AI.DependencyInjection;
using ClaudeCache.Policy;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

#pragma warning disable IDE0130 // Extension methods live in the namespace of the type they extend, so they are found without a using.
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers ClaudeCache's engine (over SQLite by default; Redis with <c>AddRedisStore()</c>), its savings ledger, the HTTP handler and options.</summary>
public static class ClaudeCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers the engine with options bound from <paramref name="configuration"/>: its <c>ClaudeCache</c>
    /// section when it has one (an application's whole configuration), else the section passed itself.
    /// Options are validated on first use and, under a host, at start-up. The builder returned adds what other
    /// packages provide, such as the Redis store (<c>.AddRedisStore()</c>).
    /// </summary>
    public static IClaudeCacheBuilder AddClaudeCache(this IServiceCollection services, IConfiguration configuration, Action<ClaudeCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ClaudeCacheOptions.SectionName);
        var bound = section.Exists() ? section : configuration;
        var builder = services.AddClaudeCacheCore();
        builder.Bind(bound);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return new ClaudeCacheBuilder(services, bound);
    }

    /// <summary>Registers the engine with options set in code.</summary>
    public static IClaudeCacheBuilder AddClaudeCache(this IServiceCollection services, Action<ClaudeCacheOptions>? configure = null)
    {
        var builder = services.AddClaudeCacheCore();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return new ClaudeCacheBuilder(services, configuration: null);
    }

    private static OptionsBuilder<ClaudeCacheOptions> AddClaudeCacheCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<ClaudeCacheOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClaudeCacheOptions>, ClaudeCacheOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClaudeCacheOptions>, StoreProviderValidator>());
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new ClaudeCacheMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>())
        {
            // Read at each scrape, by which time the cache exists (it takes the metrics, so it cannot be passed here).
            MemoryTier = () => sp.GetService<ResponseCache>()?.Memory,
            PromptCache = () => sp.GetService<PromptCachePlanner>(),
        });

        // The stores are created before the cache and disposed after it (the container disposes in reverse order of
        // creation), so the cache's last writes and the ledger's last flush still reach them.
        services.TryAddSingleton(CreateStores);
        services.TryAddSingleton(sp => ClaudeCacheEngineFactory.CreateCache(
            sp.GetRequiredService<IOptions<ClaudeCacheOptions>>().Value,
            sp.GetRequiredService<ICacheStores>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<ClaudeCacheMetrics>()));
        services.TryAddSingleton<FlightRegistry>();
        services.TryAddSingleton(sp => new FlightRunner(
            sp.GetRequiredService<ResponseCache>(),
            sp.GetRequiredService<FlightRegistry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<ClaudeCacheOptions>>().Value.UpstreamTimeout,
            sp.GetRequiredService<ILogger<FlightRunner>>())
        {
            Coalescer = sp.GetRequiredService<ICacheStores>().Coalescer,
            Timeouts = sp.GetRequiredService<IOptions<ClaudeCacheOptions>>().Value.UpstreamTimeouts,
        });
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ClaudeCacheOptions>>().Value;
            return new RequestPreparer(new CachePolicyResolver(options.Strategies), options.Tenant);
        });
        services.TryAddSingleton(sp => ClaudeCacheEngineFactory.CreateCostCalculator(sp.GetRequiredService<IOptions<ClaudeCacheOptions>>().Value));
        services.TryAddSingleton(sp =>
        {
            var ledger = ClaudeCacheEngineFactory.CreateLedger(
                sp.GetRequiredService<IOptions<ClaudeCacheOptions>>().Value,
                sp.GetRequiredService<ICacheStores>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>(),
                sp.GetRequiredService<ClaudeCacheMetrics>());
            sp.GetRequiredService<ResponseCache>().DisposeWith(ledger);
            return ledger;
        });
        services.TryAddSingleton(sp => new LedgerRecorder(
            sp.GetRequiredService<SavingsLedger>(),
            sp.GetRequiredService<CostCalculator>(),
            sp.GetRequiredService<ClaudeCacheMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<ClaudeCacheOptions>>().Value.Costs.Enabled));
        // Results of GetOrCallAsync carry their cost or saving at the ledger's prices (replaceable: register another).
        services.TryAddSingleton<ICostEstimator>(sp => new PriceTableCostEstimator(sp.GetRequiredService<CostCalculator>(), sp.GetRequiredService<TimeProvider>()));
        // On a shared store (Redis), calls on other instances writing the same cold prefix are waited for too.
        services.TryAddSingleton(sp => new PromptCachePlanner(
            sp.GetRequiredService<IOptions<ClaudeCacheOptions>>().Value.PromptCaching,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ICacheStores>().Coalescer));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ClaudeCacheOptions>>().Value;
            return new CacheEngine(
                sp.GetRequiredService<RequestPreparer>(),
                sp.GetRequiredService<ResponseCache>(),
                sp.GetRequiredService<FlightRegistry>(),
                sp.GetRequiredService<FlightRunner>(),
                sp.GetRequiredService<LedgerRecorder>(),
                sp.GetRequiredService<ICostEstimator>(),
                sp.GetRequiredService<PromptCachePlanner>(),
                memo: new RequestMemo(options.Cache.RequestMemoMaxEntries, options.Cache.RequestMemoMaxBytes),
                timeProvider: sp.GetRequiredService<TimeProvider>());
        });
        services.TryAddTransient(sp => new ClaudeCacheHandler(
            sp.GetRequiredService<CacheEngine>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ClaudeCacheHandler>>()));
        return builder;
    }

    /// <summary>The stores of the provider <c>Storage:Provider</c> names: one a package added, else a built-in one.</summary>
    private static ICacheStores CreateStores(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ClaudeCacheOptions>>().Value;
        var added = services.GetServices<ClaudeCacheStoreProvider>().LastOrDefault(p => p.Name == options.Storage.Provider);
        return added is not null
            ? added.CreateStores(services)
            : ClaudeCacheEngineFactory.CreateStores(options, services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILoggerFactory>());
    }
}
