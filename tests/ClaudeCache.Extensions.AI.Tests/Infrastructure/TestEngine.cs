using ClaudeCache.Caching;
using ClaudeCache.Testing;
using Anthropic;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Extensions.AI.Tests.Infrastructure;

/// <summary>An in-process engine (memory tier, optionally over a SQLite file) in front of a real fake upstream.</summary>
public sealed class TestEngine : IAsyncDisposable
{
    private readonly bool _ownsUpstream;

    private TestEngine(CacheEngine engine, FakeAnthropicUpstream upstream, bool ownsUpstream, FakeTimeProvider clock)
    {
        Engine = engine;
        Upstream = upstream;
        _ownsUpstream = ownsUpstream;
        Clock = clock;
    }

    public CacheEngine Engine { get; }

    public ResponseCache Cache => Engine.Cache;

    public FakeAnthropicUpstream Upstream { get; }

    public FakeTimeProvider Clock { get; }

    public static FakeTimeProvider NewClock() => new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    public static async Task<TestEngine> StartAsync(FakeAnthropicUpstream? upstream = null, string? sqlitePath = null, FakeTimeProvider? clock = null)
    {
        var ownsUpstream = upstream is null;
        upstream ??= await FakeAnthropicUpstream.StartAsync();
        clock ??= NewClock();
        var options = new ClaudeCacheOptions();
        if (sqlitePath is null)
        {
            options.Storage.Provider = "memory";
        }
        else
        {
            options.Storage.SqlitePath = sqlitePath;
        }

        return new TestEngine(ClaudeCacheEngineFactory.Create(options, clock), upstream, ownsUpstream, clock);
    }

    /// <summary>The official SDK with the handler in its HttpClient.</summary>
    public AnthropicClient Sdk(string apiKey = "sk-ant-handler-test") => new()
    {
        ApiKey = apiKey,
        BaseUrl = Upstream.BaseAddress.ToString(),
        MaxRetries = 0,
        HttpClient = new HttpClient(new ClaudeCacheHandler(Engine, new SocketsHttpHandler(), Clock)),
    };

    public async ValueTask DisposeAsync()
    {
        await Cache.DisposeAsync();
        if (_ownsUpstream)
        {
            await Upstream.DisposeAsync();
        }
    }
}
