using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ClaudeCache.Anthropic;
using ClaudeCache.Keys;
using ClaudeCache.Policy;
using ClaudeCache.PromptCaching;
using ClaudeCache.Testing;

namespace ClaudeCache.Benchmarks;

/// <summary>
/// The CPU a miss costs the proxy before its upstream call, at the three realistic request sizes of
/// <see cref="SizedRequests"/>: the full front (parse, validate, policy, key: steps 2–4) and the prompt-cache
/// planner (its outline of the prompt and the body it sends with breakpoints).
/// </summary>
[MemoryDiagnoser]
public class MissPathBenchmarks
{
    private readonly CachePolicyResolver _policies = new(new StrategyOptions());
    private PromptCachePlanner _planner = null!;
    private byte[] _body = [];

    [Params("Question", "Conversation", "AgentTurn")]
    public string Request { get; set; } = "AgentTurn";

    [GlobalSetup]
    public void Setup()
    {
        _body = Request switch
        {
            "Question" => SizedRequests.Question(),
            "Conversation" => SizedRequests.Conversation(),
            _ => SizedRequests.AgentTurn(),
        };

        // A planner that saw this prompt before: it marks what came back, as on a real agent's next step.
        _planner = new PromptCachePlanner(new PromptCachingOptions());
        _planner.Plan(_body, RequestEndpoint.Messages, "partition", mode: null);
        _parsed = JsonDocument.Parse(_body);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _planner.Dispose();
        _parsed.Dispose();
    }

    private JsonDocument _parsed = null!;

    [Benchmark(Description = "2a parse")]
    public int Parse()
    {
        using var document = JsonDocument.Parse(_body);
        return document.RootElement.GetPropertyCount();
    }

    [Benchmark(Description = "2b validate")]
    public string? Validate() => MessagesRequestValidator.Validate(_parsed.RootElement, RequestEndpoint.Messages);

    [Benchmark(Description = "3 policy")]
    public CachePolicy Policy() => _policies.Resolve(new PolicyInput("", "", "", "", _parsed.RootElement));

    [Benchmark(Description = "4 key")]
    public CacheKey Key() => CacheKeyBuilder.Build(new CacheKeyInput("partition", "", "/v1/messages", "2023-06-01", "", _parsed.RootElement));

    [Benchmark(Description = "Steps 2-4: parse, validate, policy, key")]
    public CacheKey Front()
    {
        using var document = JsonDocument.Parse(_body);
        var root = document.RootElement;
        MessagesRequestValidator.Validate(root, RequestEndpoint.Messages);
        var policy = _policies.Resolve(new PolicyInput("", "", "", "", root));
        return CacheKeyBuilder.Build(new CacheKeyInput("partition", policy.Namespace, "/v1/messages", "2023-06-01", "", root));
    }

    [Benchmark(Description = "Prompt-cache planner: outline and marked body")]
    public int Plan() => _planner.Plan(_body, RequestEndpoint.Messages, "partition", mode: null).Body.Length;
}
