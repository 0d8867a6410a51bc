using ClaudeCache.Caching;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using ClaudeCache.Storage.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// <c>ClaudeCache:Storage:Provider=redis</c> with the proxy's <c>ClaudeCache:Storage:Redis:*</c> keys: bound into
/// <see cref="RedisStoreOptions"/>, and a bad value stops the host at start-up naming its key. No Redis is needed:
/// validation runs before anything connects.
/// </summary>
public sealed class RedisConfigurationTests
{
    [Theory]
    [InlineData("Configuration", " ", "ClaudeCache:Storage:Redis:Configuration must name at least one Redis endpoint")]
    [InlineData("Configuration", "127.0.0.1:6379,abortConnect=perhaps", "ClaudeCache:Storage:Redis:Configuration does not parse")]
    [InlineData("Configuration", "abortConnect=false", "ClaudeCache:Storage:Redis:Configuration must name at least one Redis endpoint")]
    [InlineData("KeyPrefix", "cc{team}:", "ClaudeCache:Storage:Redis:KeyPrefix must not contain '{' or '}'")]
    [InlineData("OperationTimeout", "00:00:00", "ClaudeCache:Storage:Redis:OperationTimeout must be positive")]
    [InlineData("TtlJitter", "0.9", "ClaudeCache:Storage:Redis:TtlJitter must be between 0 and 0.5")]
    [InlineData("MaxEntryBytes", "0", "ClaudeCache:Storage:Redis:MaxEntryBytes must be positive")]
    public async Task InvalidRedisSetting_StopsTheHostAtStartUp_NamingTheKey(string key, string value, string expected)
    {
        using var host = Host(new()
        {
            ["ClaudeCache:Storage:Provider"] = "redis",
            [$"ClaudeCache:Storage:Redis:{key}"] = value,
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnparsableConfiguration_IsReported_WithoutRepeatingTheConnectionString()
    {
        using var host = Host(new()
        {
            ["ClaudeCache:Storage:Provider"] = "redis",
            ["ClaudeCache:Storage:Redis:Configuration"] = "redis.internal:6379,password=hunter2-very-secret,connectTimeout=soon",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("ClaudeCache:Storage:Redis:Configuration does not parse", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisProvider_WithoutAddRedisStore_StopsTheHost_SayingWhatToAdd()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ClaudeCache:Storage:Provider"] = "redis" });
        builder.Services.AddClaudeCache(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("ClaudeCache:Storage:Provider is 'redis', but the Redis store is not registered", error.Message, StringComparison.Ordinal);
        Assert.Contains("ClaudeCache.Extensions.AI.Redis", error.Message, StringComparison.Ordinal);
        Assert.Contains("AddRedisStore()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisSettings_AreNotChecked_WhileAnotherProviderIsChosen()
    {
        using var host = Host(new()
        {
            ["ClaudeCache:Storage:Provider"] = "sqlite",
            ["ClaudeCache:Storage:SqlitePath"] = TempFiles.NewDatabasePath(),
            ["ClaudeCache:Storage:Redis:KeyPrefix"] = "cc{team}:",
        });

        await host.StartAsync(TestContext.Current.CancellationToken);

        Assert.IsNotType<global::ClaudeCache.Storage.Redis.RedisCacheStores>(host.Services.GetRequiredService<ICacheStores>());
        Assert.NotNull(host.Services.GetRequiredService<ResponseCache>().SecondTier);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task TheProxysRedisKeys_AreBound_AndCodeAdjustsThem()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ClaudeCache:Storage:Provider"] = "redis",
            ["ClaudeCache:Storage:Redis:Configuration"] = "127.0.0.1:1",
            ["ClaudeCache:Storage:Redis:KeyPrefix"] = "shop:",
            ["ClaudeCache:Storage:Redis:OperationTimeout"] = "00:00:00.200",
            ["ClaudeCache:Storage:Redis:Lock"] = "false",
            ["ClaudeCache:Storage:Redis:Backplane"] = "false",
        }).Build();
        var services = new ServiceCollection();
        services.AddClaudeCache(configuration).AddRedisStore(o => o.MaxEntryBytes = 1024 * 1024);
        await using var provider = services.BuildServiceProvider();

        var redis = provider.GetRequiredService<IOptions<RedisStoreOptions>>().Value;
        var stores = Assert.IsType<RedisCacheStores>(provider.GetRequiredService<ICacheStores>());
        var cache = provider.GetRequiredService<ResponseCache>();

        Assert.Equal("shop:", redis.KeyPrefix);
        Assert.Equal(TimeSpan.FromMilliseconds(200), redis.OperationTimeout);
        Assert.Equal(1024 * 1024, redis.MaxEntryBytes);
        Assert.Same(redis, stores.Connection.Options);
        Assert.Same(stores.SecondTier, cache.SecondTier);
        Assert.Null(stores.Coalescer);
        Assert.Null(cache.Backplane);
        Assert.Null(provider.GetRequiredService<FlightRunner>().Coalescer);
    }

    private static IHost Host(Dictionary<string, string?> settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddClaudeCache(builder.Configuration).AddRedisStore();
        return builder.Build();
    }
}
