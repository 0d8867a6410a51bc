using ClaudeCache.Bench;
using ClaudeCache.Entries;

namespace ClaudeCache.Benchmarks;

/// <summary>The captured Message and stream, fetched from the fake upstream once per process.</summary>
internal static class SampleEntries
{
    private static readonly Lazy<(byte[] MessageJson, byte[] Sse)> s_captured =
        new(() => Samples.CaptureFromFakeAsync().GetAwaiter().GetResult());

    public static readonly DateTimeOffset CreatedAt = new(2026, 1, 15, 9, 30, 0, TimeSpan.Zero);

    public static byte[] MessageJson => s_captured.Value.MessageJson;

    public static byte[] Sse => s_captured.Value.Sse;

    /// <summary>An entry that expires far in the future, so hits stay hits however long a run takes.</summary>
    public static CachedResponse Create(EntryShape shape) =>
        Samples.Entry(MessageJson, shape == EntryShape.Stream ? Sse : null, DateTimeOffset.UtcNow.AddMinutes(-1)) with
        {
            ExpiresAt = DateTimeOffset.UtcNow.AddDays(30),
        };

    /// <summary>The shipped dictionary, or one trained like a store's own on the answer corpus.</summary>
    public static EntryDictionary Dictionary(DictionaryKind kind) =>
        kind == DictionaryKind.Trained ? TrainedDictionaries.TrainedOnCorpus : EntryDictionary.Shipped;

    /// <summary>Raw response bytes (JSON + SSE) over stored bytes (header included).</summary>
    public static double CompressionRatio(EntryShape shape, DictionaryKind dictionary)
    {
        var entry = Create(shape);
        return (double)(entry.Body.Length + entry.RawSse.Length) / EntryCodec.Encode(entry, Dictionary(dictionary)).Length;
    }
}
