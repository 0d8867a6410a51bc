using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Telemetry;
using ClaudeCache.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Extensions.AI.Tests.Infrastructure;

/// <summary>
/// One application instance using the library: its own dependency-injection container, configured from the
/// <c>ClaudeCache</c> section as an appsettings.json would, with <c>AddClaudeCache(...).AddRedisStore()</c> and the
/// handler in a named HttpClient, in front of a given fake upstream.
/// </summary>
public sealed class AppInstance : IAsyncDisposable
{
    private const string ClientName = "anthropic";

    private readonly ServiceProvider _services;
    private readonly FakeAnthropicUpstream _upstream;

    private AppInstance(ServiceProvider services, FakeAnthropicUpstream upstream, FakeTimeProvider clock)
    {
        _services = services;
        _upstream = upstream;
        Clock = clock;
    }

    public IServiceProvider Services => _services;

    public FakeTimeProvider Clock { get; }

    public CacheEngine Engine => _services.GetRequiredService<CacheEngine>();

    public ResponseCache Cache => _services.GetRequiredService<ResponseCache>();

    public SavingsLedger Ledger => _services.GetRequiredService<SavingsLedger>();

    public long Coalesced => _services.GetRequiredService<ClaudeCacheMetrics>().Coalesced;

    public static AppInstance Create(FakeAnthropicUpstream upstream, FakeTimeProvider clock, IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddClaudeCache(configuration).AddRedisStore();
        services.AddHttpClient(ClientName).AddClaudeCache();
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        // What a host's ValidateOnStart does: bad options stop the instance before its first request.
        _ = provider.GetRequiredService<CacheEngine>();
        return new AppInstance(provider, upstream, clock);
    }

    /// <summary>The official SDK over this instance's HttpClient (the handler in front of the fake upstream).</summary>
    public global::Anthropic.AnthropicClient Sdk(string apiKey) => new()
    {
        ApiKey = apiKey,
        BaseUrl = _upstream.BaseAddress.ToString(),
        MaxRetries = 0,
        HttpClient = _services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName),
    };

    /// <summary>A plain HttpClient through the handler, with an API key and the version header, as an SDK sends them.</summary>
    public HttpClient Http(string apiKey)
    {
        var client = _services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);
        client.BaseAddress = _upstream.BaseAddress;
        client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    /// <summary>
    /// Waits until this instance's flights have ended — answers stored in memory, Redis leases released, flights out
    /// of the registry (a request arriving before that joins the finished flight) — and their second-tier writes have
    /// reached Redis. As the proxy's tests settle.
    /// </summary>
    public Task SettleAsync() => SettleAsync(_services);

    public static async Task SettleAsync(IServiceProvider services)
    {
        await services.GetRequiredService<FlightRunner>().DrainAsync(TimeSpan.FromSeconds(10));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await services.GetRequiredService<ResponseCache>().FlushAsync(timeout.Token);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
