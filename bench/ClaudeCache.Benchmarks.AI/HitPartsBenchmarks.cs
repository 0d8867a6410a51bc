using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ClaudeCache.Caching;
using ClaudeCache.Extensions.AI;
using ClaudeCache.Extensions.AI.Chat;
using ClaudeCache.Keys;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeCache.Benchmarks.AI;

/// <summary>Where a hit's time goes: the key, the tiered lookup (decode included), and deserialising the response.</summary>
[MemoryDiagnoser]
public class HitPartsBenchmarks
{
    private readonly ChatCacheHitBenchmarks _setup = new();
    private ResponseCache _cache = null!;
    private CacheKey _key;
    private byte[] _json = null!;
    private readonly ClaudeCacheChatOptions _settings = new();

    [GlobalSetup]
    public void Setup()
    {
        _setup.Setup();
        _cache = ClaudeCacheEngineFactory.CreateCache(new ClaudeCacheOptions { Storage = { Provider = "memory" } }, TimeProvider.System, NullLoggerFactory.Instance, new ClaudeCacheMetrics(null));
        ChatCacheKey.TryBuild(_setup.Messages, _setup.ChatOptions, _settings, AIJsonUtilities.DefaultOptions, out _key);
        var response = _setup.Answer;
        _json = JsonSerializer.SerializeToUtf8Bytes(response, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse)));
        _cache.Set(_key, new ClaudeCache.Entries.CachedResponse
        {
            Kind = ClaudeCache.Entries.ResponseKind.ChatResponse,
            CreatedAt = DateTimeOffset.UtcNow,
            ExpiresAt = DateTimeOffset.UtcNow.AddHours(1),
            Strategy = ClaudeCache.Policy.CacheStrategy.Standard,
            Body = _json,
        });
    }

    [Benchmark]
    public CacheKey Key()
    {
        ChatCacheKey.TryBuild(_setup.Messages, _setup.ChatOptions, _settings, AIJsonUtilities.DefaultOptions, out var key);
        return key;
    }

    [Benchmark]
    public ValueTask<ClaudeCache.Entries.CachedResponse?> Lookup() => _cache.GetAsync(_key, CancellationToken.None);

    [Benchmark]
    public ChatResponse? Deserialize() => JsonSerializer.Deserialize(_json, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<ChatResponse>)AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse)));

    [Benchmark]
    public string TheirKey() => AIJsonUtilities.HashDataToString([_setup.Messages, _setup.ChatOptions, "1"], AIJsonUtilities.DefaultOptions);
}
