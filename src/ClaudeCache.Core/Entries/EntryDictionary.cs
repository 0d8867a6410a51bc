using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.ObjectPool;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace ClaudeCache.Entries;

/// <summary>
/// A zstd dictionary entries are compressed with: the one shipped in the build (<see cref="Shipped"/>), or one
/// trained on a store's own entries (docs/decisions/0007-trained-dictionaries.md). Its <see cref="Id"/> is the
/// dictionary id zstd wrote into the dictionary's header; stored entries name the dictionary by that id.
/// </summary>
/// <remarks>
/// Compression and decompression contexts are pooled per dictionary: a context holds hundreds of kilobytes of
/// work space plus the digested dictionary, so creating one per call would cost more than the call, and neither
/// context type is thread-safe.
/// </remarks>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "zstd calls it a dictionary; it is not a collection.")]
public sealed class EntryDictionary
{
    /// <summary>The largest dictionary accepted (a damaged length must not allocate without bound).</summary>
    public const int MaxSize = 1024 * 1024;

    /// <summary>Compression level used with every dictionary; compression runs off the response path.</summary>
    internal const int CompressionLevel = 6;

    private const uint ZstdDictionaryMagic = 0xEC30A437;

    private static readonly Lazy<EntryDictionary> ShippedDictionary = new(LoadShipped);

    private readonly ObjectPool<Decompressor> _decompressors;
    private readonly int _retained;
    private ObjectPool<Compressor> _compressors;

    private EntryDictionary(uint id, byte[] bytes, DateTimeOffset createdAt, bool isShipped)
    {
        Id = id;
        Bytes = bytes;
        CreatedAt = createdAt;
        IsShipped = isShipped;
        // A context holds the processed dictionary (about 750 KB for 32 KB at level 6, allocated natively): keep
        // one per core, enough for the threads that encode at once.
        _retained = Math.Max(2, Environment.ProcessorCount);
        _compressors = NewCompressorPool();
        _decompressors = new DefaultObjectPool<Decompressor>(new ContextPolicy<Decompressor>(() =>
        {
            var decompressor = new Decompressor();
            decompressor.LoadDictionary(bytes);
            return decompressor;
        }), _retained);
    }

    /// <summary>
    /// The dictionary shipped in the build (<c>entries-v2.zdict</c>, trained by <c>tools/entry-dictionary/train.py</c>
    /// on the project's documentation). Every store can read it; it is used until a store trains its own.
    /// </summary>
    public static EntryDictionary Shipped => ShippedDictionary.Value;

    /// <summary>The id zstd wrote into the dictionary's header; never 0.</summary>
    public uint Id { get; }

    /// <summary>The dictionary as zstd's trainer wrote it.</summary>
    public byte[] Bytes { get; }

    /// <summary>When it was trained (the shipped dictionary: <see cref="DateTimeOffset.MinValue"/>).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>True for the dictionary shipped in the build.</summary>
    public bool IsShipped { get; }

    /// <summary>
    /// Wraps bytes produced by zstd's dictionary trainer (for example read back from a store), after proving that
    /// zstd can compress and decompress with them.
    /// </summary>
    /// <returns>
    /// False when the bytes are not a zstd dictionary with a non-zero id, exceed <see cref="MaxSize"/>, or are damaged
    /// so that zstd cannot use them.
    /// </returns>
    public static bool TryCreate(byte[] bytes, DateTimeOffset createdAt, out EntryDictionary? dictionary)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        dictionary = null;
        if (!TryReadId(bytes, out var id) || bytes.Length > MaxSize)
        {
            return false;
        }

        var candidate = new EntryDictionary(id, bytes, createdAt, isShipped: false);
        if (!candidate.RoundTrips())
        {
            return false;
        }

        dictionary = candidate;
        return true;
    }

    /// <summary>Reads the id from a zstd dictionary's header (magic number, then the id, both little-endian).</summary>
    public static bool TryReadId(ReadOnlySpan<byte> bytes, out uint id)
    {
        id = 0;
        if (bytes.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != ZstdDictionaryMagic)
        {
            return false;
        }

        id = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        return id != 0;
    }

    /// <summary>Compresses <paramref name="source"/> into <paramref name="destination"/>; returns the frame's length.</summary>
    internal int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var pool = Volatile.Read(ref _compressors);
        var compressor = pool.Get();
        try
        {
            return compressor.Wrap(source, destination);
        }
        finally
        {
            pool.Return(compressor);
        }
    }

    /// <summary>
    /// Lets go of the pooled compression contexts (about 750 KB of native memory each) once new entries no longer use
    /// this dictionary; their finalizers free them. Decoding keeps its own, smaller contexts.
    /// </summary>
    internal void ReleaseCompressors() => Volatile.Write(ref _compressors, NewCompressorPool());

    private DefaultObjectPool<Compressor> NewCompressorPool()
    {
        var bytes = Bytes;
        return new DefaultObjectPool<Compressor>(new ContextPolicy<Compressor>(() =>
        {
            var compressor = new Compressor(CompressionLevel);
            // zstd's own checksum of the content: an entry read with a damaged dictionary (same header, other bytes)
            // fails here instead of decoding into a different answer.
            compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            compressor.LoadDictionary(bytes);
            return compressor;
        }), _retained);
    }

    /// <summary>Decompresses one frame; returns the number of bytes written.</summary>
    /// <exception cref="ZstdException">The frame is damaged or larger than <paramref name="destination"/>.</exception>
    internal int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var decompressor = _decompressors.Get();
        try
        {
            return decompressor.Unwrap(source, destination);
        }
        finally
        {
            _decompressors.Return(decompressor);
        }
    }

    /// <summary>Compresses and decompresses a probe: damaged entropy tables fail here, not on a caller's store.</summary>
    private bool RoundTrips()
    {
        ReadOnlySpan<byte> probe = "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"probe\"}]}"u8;
        Span<byte> compressed = stackalloc byte[256];
        Span<byte> restored = stackalloc byte[probe.Length];
        try
        {
            var length = Compress(probe, compressed);
            return Decompress(compressed[..length], restored) == probe.Length && restored.SequenceEqual(probe);
        }
        catch (ZstdException)
        {
            return false;
        }
    }

    private static EntryDictionary LoadShipped()
    {
        using var stream = typeof(EntryDictionary).Assembly.GetManifestResourceStream("ClaudeCache.Entries.entries-v2.zdict")
            ?? throw new InvalidOperationException("The entry dictionary is missing from the build.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return TryReadId(bytes, out var id)
            ? new EntryDictionary(id, bytes, DateTimeOffset.MinValue, isShipped: true)
            : throw new InvalidOperationException("The shipped entry dictionary has no zstd dictionary header.");
    }

    /// <summary>Creates contexts on demand; a returned context keeps its dictionary, so reuse needs no reset.</summary>
    private sealed class ContextPolicy<T>(Func<T> create) : IPooledObjectPolicy<T>
        where T : notnull
    {
        public T Create() => create();

        public bool Return(T obj) => true;
    }
}
