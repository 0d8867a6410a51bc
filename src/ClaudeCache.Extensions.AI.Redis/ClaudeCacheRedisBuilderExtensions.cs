using ClaudeCache.Extensions.AI;
using ClaudeCache.Extensions.AI.Redis;
using ClaudeCache.Storage.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

#pragma warning disable IDE0130 // Extension methods live in the namespace of the type they extend, so they are found without a using.
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Adds the Redis store to <c>services.AddClaudeCache(...)</c>.</summary>
public static class ClaudeCacheRedisBuilderExtensions
{
    /// <summary>The <c>ClaudeCache:Storage:Provider</c> value that selects Redis.</summary>
    public const string ProviderName = "redis";

    /// <summary>
    /// Makes the Redis store available, exactly as the proxy composes it: one connection shared by the second tier, the
    /// savings ledger, the lock that coalesces identical misses across instances and the backplane that keeps every
    /// instance's memory tier coherent. It is used when <c>ClaudeCache:Storage:Provider</c> is <c>redis</c>, so one
    /// application can run on SQLite or memory in development and on Redis in production by configuration alone.
    /// Settings are the proxy's keys, <c>ClaudeCache:Storage:Redis:*</c> (<see cref="RedisStoreOptions"/>: bound from
    /// the configuration given to <c>AddClaudeCache</c>, then adjusted by <paramref name="configure"/>), validated at
    /// start-up with the key's name when Redis is the provider.
    /// </summary>
    public static IClaudeCacheBuilder AddRedisStore(this IClaudeCacheBuilder builder, Action<RedisStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<RedisStoreOptions>();
        if (builder.Configuration is { } configuration)
        {
            options.Bind(configuration.GetSection(RedisStorageValidator.SectionPath));
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClaudeCacheOptions>, RedisStorageValidator>());
        return builder.AddStoreProvider(ProviderName, services => new RedisCacheStores(
            services.GetRequiredService<IOptions<RedisStoreOptions>>().Value,
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILoggerFactory>()));
    }
}
