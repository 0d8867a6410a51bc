using ClaudeCache.Caching;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.RedisLoadTest;

/// <summary>One real proxy instance (<see cref="ProxyApp.Create"/>) in this process, on a loopback port.</summary>
internal sealed class Instance : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Instance(string name, WebApplication app)
    {
        Name = name;
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Address = new Uri(address.TrimEnd('/') + "/");
    }

    public string Name { get; }

    public Uri Address { get; }

    public ResponseCache Cache => _app.Services.GetRequiredService<ResponseCache>();

    /// <summary>
    /// Starts an instance in front of <paramref name="upstream"/>. With <paramref name="redisEndPoint"/> the store is
    /// Redis under <paramref name="keyPrefix"/> (production defaults otherwise, 50 ms operation timeout included);
    /// without it, SQLite in <paramref name="directory"/>. <paramref name="memoryMaxBytes"/> 0 refuses every
    /// promotion, so every hit is read from the second tier.
    /// </summary>
    public static async Task<Instance> StartAsync(
        string name,
        FakeAnthropicUpstream upstream,
        string? redisEndPoint,
        string keyPrefix,
        string directory,
        long? memoryMaxBytes = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ClaudeCache:Port"] = "0",
            ["ClaudeCache:Upstream"] = upstream.BaseAddress.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:ClaudeCache"] = "Warning",
        };
        if (redisEndPoint is not null)
        {
            settings["ClaudeCache:Storage:Provider"] = "redis";
            settings["ClaudeCache:Storage:Redis:Configuration"] = redisEndPoint;
            settings["ClaudeCache:Storage:Redis:KeyPrefix"] = keyPrefix;
        }
        else
        {
            settings["ClaudeCache:Storage:SqlitePath"] = Path.Combine(directory, name + ".db");
        }

        if (memoryMaxBytes is { } bytes)
        {
            settings["ClaudeCache:Cache:MemoryMaxBytes"] = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var app = ProxyApp.Create([], settings);
        await app.StartAsync();
        return new Instance(name, app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
