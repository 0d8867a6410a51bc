using ZstdSharp;

namespace ClaudeCache.Entries;

/// <summary>
/// One zstd compressor and decompressor per thread. Creating a context allocates hundreds of kilobytes of work
/// space, far more than decoding a typical entry costs, and neither type is thread-safe; a thread-static instance
/// is the cheapest safe reuse on the hit path. Both types have finalizers, so a thread that ends leaks nothing.
/// </summary>
internal static class ZstdCodecs
{
    /// <summary>
    /// Level 3 is zstd's default: higher levels gain a few percent on these entries (measured in
    /// <c>EntryCodecCompressionTests</c>) at several times the CPU on every miss; decompression speed does not
    /// depend on the level.
    /// </summary>
    internal const int CompressionLevel = 3;

    /// <summary>
    /// Format version 2 compresses with the shipped dictionary at level 6: on a 3 KB Message the dictionary and
    /// the level together take the ratio from 1.8× to about 2.5× (docs/decisions/0006-entry-dictionary.md).
    /// Compression runs off the response path, after the caller has its bytes.
    /// </summary>
    internal const int DictionaryCompressionLevel = 6;

    private static readonly byte[] Dictionary = LoadDictionary();

    [ThreadStatic]
    private static Compressor? t_compressor;

    [ThreadStatic]
    private static Decompressor? t_decompressor;

    [ThreadStatic]
    private static Compressor? t_dictionaryCompressor;

    [ThreadStatic]
    private static Decompressor? t_dictionaryDecompressor;

    /// <summary>Plain zstd (format version 1 entries and the no-dictionary fallback).</summary>
    internal static Compressor Compressor => t_compressor ??= new Compressor(CompressionLevel);

    /// <summary>Plain zstd (format version 1 entries).</summary>
    internal static Decompressor Decompressor => t_decompressor ??= new Decompressor();

    /// <summary>zstd with the shipped dictionary (format version 2).</summary>
    internal static Compressor DictionaryCompressor
    {
        get
        {
            if (t_dictionaryCompressor is null)
            {
                var compressor = new Compressor(DictionaryCompressionLevel);
                compressor.LoadDictionary(Dictionary);
                t_dictionaryCompressor = compressor;
            }

            return t_dictionaryCompressor;
        }
    }

    /// <summary>zstd with the shipped dictionary (format version 2).</summary>
    internal static Decompressor DictionaryDecompressor
    {
        get
        {
            if (t_dictionaryDecompressor is null)
            {
                var decompressor = new Decompressor();
                decompressor.LoadDictionary(Dictionary);
                t_dictionaryDecompressor = decompressor;
            }

            return t_dictionaryDecompressor;
        }
    }

    private static byte[] LoadDictionary()
    {
        using var stream = typeof(ZstdCodecs).Assembly.GetManifestResourceStream("ClaudeCache.Entries.entries-v2.zdict")
            ?? throw new InvalidOperationException("The entry dictionary is missing from the build.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
