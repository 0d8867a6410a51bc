using System.Globalization;
using System.Reflection;
using ClaudeCache.Extensions.AI;
using ClaudeCache.Policy;
using ClaudeCache.Storage.Redis;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using ConfigurationOptions = StackExchange.Redis.ConfigurationOptions;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// The one line the proxy prints when it starts and the one when it stops, whatever the log level: where it
/// listens, what it forwards to, where the cache lives. Never a credential (a Redis password stays out).
/// </summary>
internal static class StartupBanner
{
    /// <summary>The version of the running binary, without the source revision.</summary>
    public static string Version { get; } =
        typeof(StartupBanner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static string Started(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<ProxyOptions>>().Value;
        var engine = app.Services.GetRequiredService<IOptions<ClaudeCacheOptions>>().Value;
        var redis = app.Services.GetRequiredService<IOptions<RedisStoreOptions>>().Value;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var ttl = engine.Strategies;
        return string.Create(CultureInfo.InvariantCulture,
            $"claudecache {Version} ({app.Environment.EnvironmentName}) listening on {string.Join(", ", addresses)}; " +
            $"upstream {options.Upstream}; store {Store(engine.Storage, redis)}; " +
            $"TTLs aggressive {ttl.AggressiveTtl:c}, standard {ttl.StandardTtl:c}, conservative {ttl.ConservativeTtl:c}, real-time {ttl.RealTimeTtl:c}, default {StrategyNames.ToHeader(ttl.DefaultStrategy)}; " +
            $"admin API {(string.IsNullOrEmpty(options.AdminToken) ? "off (no admin token)" : "on")}");
    }

    public static string Stopped() => "claudecache stopped";

    private static string Store(ClaudeCacheStorageOptions storage, RedisStoreOptions redis) => storage.Provider switch
    {
        "sqlite" => "sqlite " + storage.SqlitePath,
        "redis" => "redis " + RedisEndpoints(redis.Configuration),
        _ => storage.Provider + " (nothing survives a restart)",
    };

    /// <summary>The endpoints (and Sentinel service) of a connection string: its options may hold a password.</summary>
    private static string RedisEndpoints(string configuration)
    {
        var parsed = ConfigurationOptions.Parse(configuration, ignoreUnknown: true);
        var endpoints = string.Join(",", parsed.EndPoints.Select(e => e is System.Net.DnsEndPoint dns ? $"{dns.Host}:{dns.Port}" : e.ToString()));
        return parsed.ServiceName is { Length: > 0 } service ? $"{endpoints} (sentinel service {service})" : endpoints;
    }
}
