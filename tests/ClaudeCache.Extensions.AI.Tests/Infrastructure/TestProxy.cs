using ClaudeCache.Caching;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Extensions.AI.Tests.Infrastructure;

/// <summary>The real proxy (Kestrel on a loopback port) on a given SQLite file (or other settings), in front of a given fake upstream.</summary>
public sealed class TestProxy : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestProxy(WebApplication app)
    {
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.TrimEnd('/') + "/");
    }

    public Uri BaseAddress { get; }

    public ResponseCache Cache => _app.Services.GetRequiredService<ResponseCache>();

    public IServiceProvider Services => _app.Services;

    public global::ClaudeCache.Costs.SavingsLedger Ledger => _app.Services.GetRequiredService<global::ClaudeCache.Costs.SavingsLedger>();

    /// <summary>Starts the proxy; <paramref name="settings"/> are configuration keys set over the defaults (Redis, say).</summary>
    public static async Task<TestProxy> StartAsync(FakeAnthropicUpstream upstream, string databasePath, FakeTimeProvider clock, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["ClaudeCache:Port"] = "0",
            ["ClaudeCache:Upstream"] = upstream.BaseAddress.ToString(),
            ["ClaudeCache:Storage:SqlitePath"] = databasePath,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }
        var app = ProxyApp.Create([], overrides, configureServices: services => services.AddSingleton<TimeProvider>(clock));
        await app.StartAsync();
        return new TestProxy(app);
    }

    public global::Anthropic.AnthropicClient Sdk(string apiKey) => new() { ApiKey = apiKey, BaseUrl = BaseAddress.ToString(), MaxRetries = 0 };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
