using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ClaudeCache.Bench;
using ClaudeCache.Keys;
using ClaudeCache.Testing;

namespace ClaudeCache.Benchmarks;

/// <summary>Step 2 + 4 of the pipeline: parse the request body and compute its cache key.</summary>
[MemoryDiagnoser]
public class KeyBenchmarks
{
    private byte[] _body = [];
    private JsonDocument? _parsed;

    /// <summary><c>Workload</c>: one property analysis (system prompt + one turn, ~1.9 KB); <c>TenKb</c>: a ~10 KB multi-turn conversation.</summary>
    [Params("Workload", "TenKb")]
    public string Request { get; set; } = "TenKb";

    [GlobalSetup]
    public void Setup()
    {
        _body = Request == "TenKb"
            ? Samples.LargeRequest()
            : new RealEstateWorkload(seed: 7).PropertyAnalysis().BodyBytes;
        _parsed = JsonDocument.Parse(_body);
        Console.WriteLine($"// request body: {_body.Length} bytes");
    }

    [GlobalCleanup]
    public void Cleanup() => _parsed?.Dispose();

    [Benchmark(Description = "Parse + Build")]
    public CacheKey ParseAndBuild()
    {
        using var document = JsonDocument.Parse(_body);
        return CacheKeyBuilder.Build(Input(document.RootElement));
    }

    [Benchmark(Description = "Build (parsed)")]
    public CacheKey BuildOnly() => CacheKeyBuilder.Build(Input(_parsed!.RootElement));

    private static CacheKeyInput Input(JsonElement body) =>
        new("p:3f1c9a0b7e2d4c58", "", "/v1/messages", "2023-06-01", null, body);
}
