using System.ComponentModel;
using BenchmarkDotNet.Attributes;
using ClaudeCache.Caching;
using ClaudeCache.Extensions.AI;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Benchmarks.AI;

/// <summary>
/// A cache hit for the same request through our middleware (memory tier, entries kept encoded) and through
/// Microsoft's <see cref="DistributedCachingChatClient"/> over <see cref="MemoryDistributedCache"/>.
/// Theirs leaves tools out of the key; ours keys them too, and still has to be faster.
/// </summary>
[MemoryDiagnoser]
public class ChatCacheHitBenchmarks
{
    private readonly List<ChatMessage> _messages =
    [
        new(ChatRole.System, "You are a real-estate assistant. Answer in three short paragraphs and cite comparable sales."),
        new(ChatRole.User, "Analyse 12 Oak Street: 3 bedrooms, 2 baths, 1,850 sq ft, listed at $645,000, built 1998, new roof in 2021."),
        new(ChatRole.Assistant, "Comparable sales within half a mile average $338 per square foot, which puts the listing near the median."),
        new(ChatRole.User, "What would a reasonable offer be, and what should the inspection focus on?"),
    ];

    private ChatOptions _options = null!;

    internal List<ChatMessage> Messages => _messages;

    internal ChatOptions ChatOptions => _options;

    internal ChatResponse Answer { get; private set; } = null!;
    private CacheEngine _engine = null!;
    private MemoryDistributedCache _distributed = null!;
    private IChatClient _ours = null!;
    private IChatClient _theirs = null!;

    [GlobalSetup]
    public void Setup()
    {
        _options = new ChatOptions
        {
            ModelId = "claude-sonnet-4-5",
            Temperature = 0.2f,
            MaxOutputTokens = 1024,
            Tools =
            [
                AIFunctionFactory.Create(([Description("Street address")] string address, [Description("Radius in miles")] double radius) => "", "get_comparables", "Comparable sales near an address"),
                AIFunctionFactory.Create(([Description("Street address")] string address) => "", "get_listing", "The current listing of an address"),
            ],
        };
        var answer = new ChatResponse(new ChatMessage(ChatRole.Assistant, string.Concat(Enumerable.Repeat(
            "A reasonable opening offer sits two to three percent under asking given the days on market. ", 12))))
        {
            ResponseId = "msg_01XFDUDYJgAACzvnptvVoYEL",
            ModelId = "claude-sonnet-4-5-20250929",
            FinishReason = ChatFinishReason.Stop,
            CreatedAt = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero),
            Usage = new UsageDetails { InputTokenCount = 412, OutputTokenCount = 260, TotalTokenCount = 672 },
        };
        Answer = answer;
        var inner = new FixedChatClient(answer);

        // Accounting off: the benchmark measures the hit, not the ledger.
        _engine = ClaudeCacheEngineFactory.Create(new ClaudeCacheOptions { Storage = { Provider = "memory" }, Costs = { Enabled = false } });
        _ours = new ChatClientBuilder(inner).UseClaudeCache(_engine).Build();
        _distributed = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        _theirs = new ChatClientBuilder(inner).UseDistributedCache(_distributed).Build();

        // Prime both: every measured call is a hit.
        _ours.GetResponseAsync(_messages, _options).GetAwaiter().GetResult();
        _theirs.GetResponseAsync(_messages, _options).GetAwaiter().GetResult();
        if (inner.Calls != 2)
        {
            throw new InvalidOperationException("Priming should call the inner client once per cache.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Cache.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> DistributedCachingChatClient_Hit() => _theirs.GetResponseAsync(_messages, _options);

    [Benchmark]
    public Task<ChatResponse> ClaudeCachingChatClient_Hit() => _ours.GetResponseAsync(_messages, _options);
}
