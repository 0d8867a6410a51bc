using BenchmarkDotNet.Attributes;
using ClaudeCache.Bench;
using ClaudeCache.Entries;

namespace ClaudeCache.Benchmarks;

/// <summary>
/// The entry codec on a ~3 KB Message (and its SSE stream) captured from the fake upstream: serialise + zstd
/// level 3 + XxHash64 one way, verify + decompress + parse the other. The "Ratio ×" column is raw response bytes
/// over stored bytes.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(CompressionRatioConfig))]
public class CodecBenchmarks
{
    private CachedResponse _entry = null!;
    private byte[] _payload = [];

    [Params(EntryShape.Json, EntryShape.Stream)]
    public EntryShape Entry { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _entry = SampleEntries.Create(Entry);
        _payload = EntryCodec.Encode(_entry);
        var raw = _entry.Body.Length + _entry.RawSse.Length;
        Console.WriteLine($"// {Entry}: body {_entry.Body.Length} B + sse {_entry.RawSse.Length} B = {Samples.Kb(raw)} -> {_payload.Length} B stored ({(double)raw / _payload.Length:F2}x)");
    }

    [Benchmark]
    public byte[] Encode() => EntryCodec.Encode(_entry);

    [Benchmark]
    public DecodeStatus TryDecode() => EntryCodec.TryDecode(_payload, out _);
}
