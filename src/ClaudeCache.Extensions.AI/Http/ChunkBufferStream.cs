using ClaudeCache.Caching;

namespace ClaudeCache.Extensions.AI.Http;

/// <summary>A read-only stream over a <see cref="ChunkBuffer"/>, each reader at its own position.</summary>
internal sealed class ChunkBufferStream(ChunkBuffer buffer) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        var read = await buffer.ReadAsync(_position, cancellationToken).ConfigureAwait(false);
        if (read.IsCompleted)
        {
            return read.Fault is null ? 0 : throw new IOException("The upstream response broke off.", read.Fault);
        }

        var count = Math.Min(read.Data.Length, destination.Length);
        read.Data.Span[..count].CopyTo(destination.Span);
        _position += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] array, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(array.AsMemory(offset, count), cancellationToken).AsTask();

    // Synchronous reads block on the buffer; the SDK reads asynchronously, this is for completeness.
    public override int Read(byte[] array, int offset, int count) => ReadAsync(array, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] array, int offset, int count) => throw new NotSupportedException();
}
