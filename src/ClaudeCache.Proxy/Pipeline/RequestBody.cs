using System.Buffers;
using ClaudeCache.Pipeline;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>
/// Step 1: reads a request body once, bounded in size, into pooled 64 KiB chunks (below the large-object threshold,
/// so no request of any size allocates a large-object array), computing its <see cref="BodyFingerprint"/> in the same
/// pass. Dispose returns the chunks.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    private const int ChunkBytes = 64 * 1024;

    private readonly List<byte[]> _chunks = [];
    private BodyFingerprint _fingerprint;
    private int _lastUsed = ChunkBytes;

    private RequestBody()
    {
    }

    /// <summary>Bytes read.</summary>
    public long Length => _fingerprint.Length;

    /// <summary>The body's fingerprint.</summary>
    public ulong Fingerprint => _fingerprint.GetValue();

    /// <summary>The body as one sequence over the chunks.</summary>
    public ReadOnlySequence<byte> Sequence
    {
        get
        {
            if (_chunks.Count == 0)
            {
                return ReadOnlySequence<byte>.Empty;
            }

            if (_chunks.Count == 1)
            {
                return new ReadOnlySequence<byte>(_chunks[0], 0, _lastUsed);
            }

            var first = new Segment(_chunks[0].AsMemory(), 0);
            var last = first;
            for (var i = 1; i < _chunks.Count; i++)
            {
                last = last.Append(i == _chunks.Count - 1 ? _chunks[i].AsMemory(0, _lastUsed) : _chunks[i]);
            }

            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }

    /// <summary>
    /// Reads the whole body. Returns no body and <c>TooLarge</c> when it exceeds <paramref name="limit"/>, and no body
    /// with the <c>Malformed</c> exception when the client's framing is broken (bad chunking, a truncated body).
    /// </summary>
    public static async Task<(RequestBody? Body, bool TooLarge, BadHttpRequestException? Malformed)> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > limit)
        {
            return (null, true, null);
        }

        var body = new RequestBody();
        var reader = request.BodyReader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (body.Length + buffer.Length > limit)
                {
                    reader.AdvanceTo(buffer.End);
                    body.Dispose();
                    return (null, true, null);
                }

                foreach (var segment in buffer)
                {
                    body.Append(segment.Span);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    return (body, false, null);
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own limit (set just above ours) tripped first on a chunked body.
            body.Dispose();
            return (null, true, null);
        }
        catch (BadHttpRequestException ex)
        {
            // Broken framing (a chunk size that cannot be parsed, a body that stops arriving): the client's fault, with
            // Kestrel's status (400, or 408 for a body too slow).
            body.Dispose();
            return (null, false, ex);
        }
        catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Kestrel reports a chunk size too large to parse (FFFFFFFFFF) as an IOException, not a bad request.
            body.Dispose();
            return (null, false, new BadHttpRequestException(ex.Message, StatusCodes.Status400BadRequest, ex));
        }
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        _fingerprint.Append(data);
        while (!data.IsEmpty)
        {
            if (_lastUsed == ChunkBytes)
            {
                _chunks.Add(ArrayPool<byte>.Shared.Rent(ChunkBytes));
                _lastUsed = 0;
            }

            var chunk = _chunks[^1].AsSpan(_lastUsed, ChunkBytes - _lastUsed);
            var n = Math.Min(chunk.Length, data.Length);
            data[..n].CopyTo(chunk);
            _lastUsed += n;
            data = data[n..];
        }
    }

    public void Dispose()
    {
        foreach (var chunk in _chunks)
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        _chunks.Clear();
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
