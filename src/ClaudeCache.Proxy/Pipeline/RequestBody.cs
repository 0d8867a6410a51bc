using System.Buffers;
using System.Threading.RateLimiting;
using ClaudeCache.Pipeline;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>
/// Step 1: reads a request body once, bounded in size, into pooled 64 KiB chunks (below the large-object threshold),
/// computing its <see cref="BodyFingerprint"/> in the same pass. A body that declares a <c>Content-Length</c> over
/// <see cref="WholeFromBytes"/> is read into one pooled array of at least that length instead: the JSON parser reads it
/// in place, where chunks it would first copy whole into an array it rents itself (a copy of the body less per large
/// request). The chunks are reserved in <see cref="RequestLimits"/> before they are taken (all of a declared
/// <c>Content-Length</c> at once; a chunked body's as it arrives). Dispose returns the chunks and releases the reservation.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    /// <summary>The size of a chunk, and of a permit in <see cref="RequestLimits"/>.</summary>
    public const int ChunkBytes = 64 * 1024;

    /// <summary>A declared length over this is read into one pooled array rather than into chunks.</summary>
    public const int WholeFromBytes = 16 * ChunkBytes;

    private readonly List<byte[]> _chunks = [];

    // The body when read whole (a declared length over WholeFromBytes: rented, at least _declared long), or null.
    private byte[]? _whole;
    private long _declared;
    private readonly List<RateLimitLease> _reservations = [];
    private readonly RequestLimits? _limits;
    private BodyFingerprint _fingerprint;
    private int _lastUsed = ChunkBytes;
    private long _reservedChunks;

    private RequestBody(RequestLimits? limits)
    {
        _limits = limits;
    }

    /// <summary>The chunks that hold <paramref name="bytes"/> bytes.</summary>
    public static int ChunksFor(long bytes) => checked((int)((bytes + ChunkBytes - 1) / ChunkBytes));

    /// <summary>Bytes read.</summary>
    public long Length => _fingerprint.Length;

    /// <summary>The body's fingerprint.</summary>
    public ulong Fingerprint => _fingerprint.GetValue();

    /// <summary>The body as one sequence over the chunks.</summary>
    public ReadOnlySequence<byte> Sequence
    {
        get
        {
            if (_whole is not null)
            {
                return new ReadOnlySequence<byte>(_whole, 0, (int)Length);
            }

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
    /// Reads the whole body. Returns no body and <see cref="RequestBodyError.TooLarge"/> when it exceeds
    /// <paramref name="limit"/>, <see cref="RequestBodyError.Overloaded"/> when <paramref name="limits"/> has no room
    /// for it, and <see cref="RequestBodyError.Malformed"/> with Kestrel's exception when the client's framing is
    /// broken (bad chunking, a truncated body).
    /// </summary>
    public static async Task<(RequestBody? Body, RequestBodyError Error, BadHttpRequestException? Malformed)> ReadAsync(
        HttpRequest request, long limit, RequestLimits? limits, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > limit)
        {
            return (null, RequestBodyError.TooLarge, null);
        }

        var body = new RequestBody(limits);
        if (!body.Reserve(request.ContentLength ?? 0))
        {
            body.Dispose();
            return (null, RequestBodyError.Overloaded, null);
        }

        if (request.ContentLength is > WholeFromBytes and var length)
        {
            // Reserved above (as chunks: at least its length). From the pool the parser would have rented its copy from.
            body._whole = ArrayPool<byte>.Shared.Rent((int)length);
            body._declared = length;
        }

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
                    return (null, RequestBodyError.TooLarge, null);
                }

                if (!body.Reserve(body.Length + buffer.Length))
                {
                    reader.AdvanceTo(buffer.End);
                    body.Dispose();
                    return (null, RequestBodyError.Overloaded, null);
                }

                foreach (var segment in buffer)
                {
                    body.Append(segment.Span);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    return (body, RequestBodyError.None, null);
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own limit (set just above ours) tripped first on a chunked body.
            body.Dispose();
            return (null, RequestBodyError.TooLarge, null);
        }
        catch (BadHttpRequestException ex)
        {
            // Broken framing (a chunk size that cannot be parsed, a body that stops arriving): the client's fault, with
            // Kestrel's status (400, or 408 for a body too slow).
            body.Dispose();
            return (null, RequestBodyError.Malformed, ex);
        }
        catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Kestrel reports a chunk size too large to parse (FFFFFFFFFF) as an IOException, not a bad request.
            body.Dispose();
            return (null, RequestBodyError.Malformed, new BadHttpRequestException(ex.Message, StatusCodes.Status400BadRequest, ex));
        }
    }

    /// <summary>Reserves the chunks that <paramref name="bytes"/> need beyond those already reserved; false when there is no room.</summary>
    private bool Reserve(long bytes)
    {
        var needed = ChunksFor(bytes) - _reservedChunks;
        if (_limits is null || needed <= 0)
        {
            return true;
        }

        var lease = _limits.ReserveChunks((int)needed);
        _reservations.Add(lease);
        _reservedChunks += lease.IsAcquired ? needed : 0;
        return lease.IsAcquired;
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_whole is not null)
        {
            if (Length + data.Length <= _declared)
            {
                data.CopyTo(_whole.AsSpan((int)Length));
                _fingerprint.Append(data);
                return;
            }

            // More than declared (the server stops that first): on in chunks, the bytes so far moved into them.
            var whole = _whole;
            var read = (int)Length;
            _whole = null;
            _fingerprint = default;
            AppendChunks(whole.AsSpan(0, read));
            ArrayPool<byte>.Shared.Return(whole);
        }

        AppendChunks(data);
    }

    private void AppendChunks(ReadOnlySpan<byte> data)
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
        if (_whole is { } whole)
        {
            _whole = null;
            ArrayPool<byte>.Shared.Return(whole);
        }

        foreach (var chunk in _chunks)
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        _chunks.Clear();
        if (_reservations.Count == 0)
        {
            return;
        }

        foreach (var reservation in _reservations)
        {
            reservation.Dispose();
        }

        _reservations.Clear();
        _reservedChunks = 0;
        _limits?.Released();
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
