using System.Net;
using ClaudeCache.Caching;

namespace ClaudeCache.Extensions.AI.Http;

/// <summary>
/// A response body that follows a flight's bytes as the upstream sends them, so a streamed miss reaches the SDK
/// live. A flight that broke off ends this body with an <see cref="IOException"/>, as a dropped connection would.
/// </summary>
internal sealed class FlightContent(ChunkBuffer buffer) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var position = 0;
        while (true)
        {
            var read = await buffer.ReadAsync(position, cancellationToken).ConfigureAwait(false);
            if (read.IsCompleted)
            {
                if (read.Fault is not null)
                {
                    throw new IOException("The upstream response broke off.", read.Fault);
                }

                return;
            }

            await stream.WriteAsync(read.Data, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            position += read.Data.Length;
        }
    }

    // Read directly, the SDK gets each chunk the moment it lands in the buffer, with no copy through a pipe.
    protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new ChunkBufferStream(buffer));

    protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) => CreateContentReadStreamAsync();

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
