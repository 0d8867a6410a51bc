using BenchmarkDotNet.Attributes;
using ClaudeCache.Bench;
using ClaudeCache.Entries;

namespace ClaudeCache.Benchmarks;

/// <summary>
/// The entry codec on a ~3 KB Message (and its SSE stream) captured from the fake upstream: serialise + zstd
/// level 6 with a dictionary + XxHash64 one way, verify + decompress + parse the other. The dictionary is the
/// shipped one, or one trained the way a store trains its own, on the 75 answers of the corpus (which do not
/// include this Message). The "Ratio ×" column is raw response bytes over stored bytes.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(CompressionRatioConfig))]
public class CodecBenchmarks
{
    private CachedResponse _entry = null!;
    private byte[] _payload = [];

    private EntryDictionary _dictionary = null!;
    private EntryDictionarySet _dictionaries = null!;

    [Params(EntryShape.Json, EntryShape.Stream)]
    public EntryShape Entry { get; set; }

    [Params(DictionaryKind.Shipped, DictionaryKind.Trained)]
    public DictionaryKind Dictionary { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _entry = SampleEntries.Create(Entry);
        _dictionary = SampleEntries.Dictionary(Dictionary);
        _dictionaries = new EntryDictionarySet();
        _dictionaries.Add(_dictionary);
        _payload = EntryCodec.Encode(_entry, _dictionary);
        var raw = _entry.Body.Length + _entry.RawSse.Length;
        Console.WriteLine($"// {Entry}, {Dictionary}: body {_entry.Body.Length} B + sse {_entry.RawSse.Length} B = {Samples.Kb(raw)} -> {_payload.Length} B stored ({(double)raw / _payload.Length:F2}x)");
    }

    [Benchmark]
    public byte[] Encode() => EntryCodec.Encode(_entry, _dictionary);

    [Benchmark]
    public DecodeStatus TryDecode() => EntryCodec.TryDecode(_payload, _dictionaries, out _);
}
