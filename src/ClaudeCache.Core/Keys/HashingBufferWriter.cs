using System.Buffers;
using System.Security.Cryptography;

namespace ClaudeCache.Keys;

/// <summary>
/// A buffer writer that feeds SHA-256 as it goes: what is written is hashed a chunk at a time and the chunk reused, so
/// a canonical form is never held whole (a 30 MB prompt costs one 16 KiB chunk, not a 30 MB buffer grown by doubling).
/// A long string is not written through the chunk at all: <see cref="Append"/> hashes its bytes where they are. A single
/// write larger than the chunk would get a chunk of its size for that write.
/// </summary>
internal sealed class HashingBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int ChunkBytes = 16 * 1024;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _chunk = new byte[ChunkBytes];
    private int _written;

    /// <summary>Bytes hashed or waiting in the chunk since the last <see cref="Finish"/>.</summary>
    public long Length { get; private set; }

    /// <inheritdoc />
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _chunk.Length - _written)
        {
            throw new InvalidOperationException("Advanced past the end of the chunk.");
        }

        _written += count;
        Length += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        // Reserve first: it may replace the chunk.
        var at = Reserve(sizeHint);
        return _chunk.AsMemory(at);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        var at = Reserve(sizeHint);
        return _chunk.AsSpan(at);
    }

    /// <summary>
    /// Hashes <paramref name="data"/> after what is waiting in the chunk, without copying it: for bytes already in memory
    /// (a long string of the request), written around the <c>Utf8JsonWriter</c> after flushing it.
    /// </summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        Drain();
        _hash.AppendData(data);
        Length += data.Length;
    }

    /// <summary>The SHA-256 of everything written, into <paramref name="digest"/>; the writer starts over.</summary>
    public void Finish(Span<byte> digest)
    {
        Drain();
        _hash.GetHashAndReset(digest);
        Length = 0;
        if (_chunk.Length > ChunkBytes)
        {
            // A huge string does not pin its buffer to the thread.
            _chunk = new byte[ChunkBytes];
        }
    }

    /// <summary>Drops whatever was written (after a failed write): the next form starts from nothing.</summary>
    public void Discard()
    {
        _written = 0;
        Span<byte> ignored = stackalloc byte[32];
        _hash.GetHashAndReset(ignored);
        Length = 0;
    }

    /// <inheritdoc />
    public void Dispose() => _hash.Dispose();

    // Room for sizeHint bytes at the returned offset: the chunk is hashed and emptied first when it has too little.
    private int Reserve(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_chunk.Length - _written >= sizeHint)
        {
            return _written;
        }

        Drain();
        if (_chunk.Length < sizeHint)
        {
            _chunk = new byte[sizeHint];
        }

        return 0;
    }

    private void Drain()
    {
        if (_written > 0)
        {
            _hash.AppendData(_chunk, 0, _written);
            _written = 0;
        }
    }
}
