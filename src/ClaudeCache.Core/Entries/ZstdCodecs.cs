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

    [ThreadStatic]
    private static Compressor? t_compressor;

    [ThreadStatic]
    private static Decompressor? t_decompressor;

    internal static Compressor Compressor => t_compressor ??= new Compressor(CompressionLevel);

    internal static Decompressor Decompressor => t_decompressor ??= new Decompressor();
}
