using System.Net.Http.Headers;
using ClaudeCache.Caching;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Proxy.Tests.Infrastructure;

/// <summary>
/// A real proxy on a loopback port (Kestrel), in front of a real fake upstream, with its SQLite file in a temp
/// folder and a fake clock. Everything the tests touch is real except Anthropic.
/// </summary>
public sealed class ProxyHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsUpstream;

    private ProxyHost(WebApplication app, FakeAnthropicUpstream upstream, bool ownsUpstream, string databasePath, FakeTimeProvider clock)
    {
        _app = app;
        Upstream = upstream;
        _ownsUpstream = ownsUpstream;
        DatabasePath = databasePath;
        Clock = clock;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.TrimEnd('/') + "/");
        Client = CreateClient();
    }

    public const string AdminToken = "test-admin-token-0123456789";

    public FakeAnthropicUpstream Upstream { get; }

    public Uri BaseAddress { get; }

    public string DatabasePath { get; }

    public FakeTimeProvider Clock { get; }

    /// <summary>A client with a test API key and the version header set, like an SDK.</summary>
    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public ResponseCache Cache => _app.Services.GetRequiredService<ResponseCache>();

    public static async Task<ProxyHost> StartAsync(
        FakeAnthropicUpstream? upstream = null,
        string? databasePath = null,
        IDictionary<string, string?>? settings = null,
        FakeTimeProvider? clock = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var ownsUpstream = upstream is null;
        upstream ??= await FakeAnthropicUpstream.StartAsync();
        databasePath ??= TempFiles.NewDatabasePath();
        clock ??= new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        var overrides = new Dictionary<string, string?>
        {
            ["ClaudeCache:Port"] = "0",
            ["ClaudeCache:Upstream"] = upstream.BaseAddress.ToString(),
            ["ClaudeCache:Storage:SqlitePath"] = databasePath,
            ["Logging:LogLevel:Default"] = "Warning",
            ["ClaudeCache:AdminToken"] = AdminToken,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var app = ProxyApp.Create([], overrides, configureServices: services =>
        {
            services.AddSingleton<TimeProvider>(clock);
            configureServices?.Invoke(services);
        });
        await app.StartAsync();
        return new ProxyHost(app, upstream, ownsUpstream, databasePath, clock);
    }

    public HttpClient CreateClient(string apiKey = "sk-ant-test-key-1")
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    /// <summary>Waits until every upstream call has ended and its answer reached the second tier.</summary>
    public async Task SettleAsync()
    {
        await _app.Services.GetRequiredService<FlightRunner>().DrainAsync(TimeSpan.FromSeconds(10));
        await Cache.FlushAsync();
    }

    /// <summary>A client that presents the admin token.</summary>
    public HttpClient CreateAdminClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    /// <summary>Stops the proxy (and its upstream when it started it).</summary>
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsUpstream)
        {
            await Upstream.DisposeAsync();
        }
    }

    /// <summary>Stops the proxy but keeps the upstream and the database file (for restart tests).</summary>
    public async Task StopKeepingUpstreamAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
