using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ClaudeCache.Anthropic;
using ClaudeCache.Bench;
using ClaudeCache.Keys;
using ClaudeCache.Policy;
using ClaudeCache.Testing;

namespace ClaudeCache.Benchmarks;

/// <summary>
/// The CPU a request costs before the lookup (steps 2–4), step by step, to show where a hit's time goes:
/// validation, policy resolution (content rules over the system prompt and last user turn), tenant partition
/// (HMAC of the credential) and the key.
/// </summary>
[MemoryDiagnoser]
public class RequestFrontBenchmarks
{
    private readonly CachePolicyResolver _policies = new(new StrategyOptions());
    private readonly TenantOptions _tenant = new();
    private byte[] _body = [];
    private JsonDocument _parsed = null!;

    [Params("Workload", "TenKb")]
    public string Request { get; set; } = "TenKb";

    [GlobalSetup]
    public void Setup()
    {
        _body = Request == "TenKb"
            ? Samples.LargeRequest()
            : new RealEstateWorkload(seed: 7).PropertyAnalysis().BodyBytes;
        _parsed = JsonDocument.Parse(_body);
    }

    [GlobalCleanup]
    public void Cleanup() => _parsed.Dispose();

    [Benchmark(Description = "JsonDocument.Parse")]
    public int Parse()
    {
        using var document = JsonDocument.Parse(_body);
        return document.RootElement.ValueKind == JsonValueKind.Object ? 1 : 0;
    }

    [Benchmark(Description = "MessagesRequestValidator.Validate")]
    public string? Validate() => MessagesRequestValidator.Validate(_parsed.RootElement, RequestEndpoint.Messages);

    [Benchmark(Description = "CachePolicyResolver.Resolve (default rules)")]
    public CachePolicy ResolvePolicy() => _policies.Resolve(new PolicyInput("", "", "", "", _parsed.RootElement));

    [Benchmark(Description = "TenantPartition.Compute")]
    public string Partition() => TenantPartition.Compute("sk-ant-api03-bench-key-0123456789abcdef", "", _tenant);

    [Benchmark(Description = "Steps 2-4: parse, validate, policy, partition, key")]
    public CacheKey Front()
    {
        using var document = JsonDocument.Parse(_body);
        var root = document.RootElement;
        MessagesRequestValidator.Validate(root, RequestEndpoint.Messages);
        var policy = _policies.Resolve(new PolicyInput("", "", "", "", root));
        var partition = TenantPartition.Compute("sk-ant-api03-bench-key-0123456789abcdef", "", _tenant);
        return CacheKeyBuilder.Build(new CacheKeyInput(partition, policy.Namespace, "/v1/messages", "2023-06-01", "", root));
    }
}
