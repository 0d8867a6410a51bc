using ZstdSharp;

namespace ClaudeCache.Entries;

/// <summary>
/// One plain (dictionary-less) zstd decompressor per thread, for format version 1 entries. Creating a context
/// allocates hundreds of kilobytes of work space, far more than decoding a typical entry costs, and the type is not
/// thread-safe; a thread-static instance is the cheapest safe reuse. It has a finalizer, so a thread that ends
/// leaks nothing. Dictionary contexts live with their dictionary (<see cref="EntryDictionary"/>).
/// </summary>
internal static class ZstdCodecs
{
    [ThreadStatic]
    private static Decompressor? t_decompressor;

    /// <summary>Plain zstd (format version 1 entries).</summary>
    internal static Decompressor Decompressor => t_decompressor ??= new Decompressor();
}
