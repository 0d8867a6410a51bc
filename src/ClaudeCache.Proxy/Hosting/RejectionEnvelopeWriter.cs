using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// The output of one HTTP/1.1 connection, between Kestrel and the socket. While the application handles a request
/// (<see cref="ApplicationResponseStarted"/> until <see cref="ApplicationResponseCompleted"/>) every call goes straight
/// to the socket's writer, untouched. Otherwise the only bytes Kestrel writes are its own answers to requests it
/// refused before any middleware ran; those are held until Kestrel flushes them, and a bodyless 4xx is sent with
/// Anthropic's envelope as its body (<see cref="KestrelRejection"/>). Anything else is sent as it was written.
/// </summary>
internal sealed class RejectionEnvelopeWriter(PipeWriter inner, KestrelServerLimits limits) : PipeWriter
{
    private volatile bool _applicationResponding;
    private ArrayBufferWriter<byte>? _held;

    /// <summary>A request reached the application: its response is its own until it completes.</summary>
    public void ApplicationResponseStarted() => _applicationResponding = true;

    /// <summary>The application's response has been written in full (Kestrel's <c>OnCompleted</c>).</summary>
    public void ApplicationResponseCompleted() => _applicationResponding = false;

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes + (_held?.WrittenCount ?? 0);

    public override Memory<byte> GetMemory(int sizeHint = 0) => Holding() ? _held!.GetMemory(sizeHint) : inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => Holding() ? _held!.GetSpan(sizeHint) : inner.GetSpan(sizeHint);

    public override void Advance(int bytes)
    {
        if (_held is { } held)
        {
            held.Advance(bytes);
        }
        else
        {
            inner.Advance(bytes);
        }
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        Release();
        return inner.FlushAsync(cancellationToken);
    }

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
        Holding() ? base.WriteAsync(source, cancellationToken) : inner.WriteAsync(source, cancellationToken);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        Release();
        inner.Complete(exception);
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        Release();
        return inner.CompleteAsync(exception);
    }

    // Holds from the first write made while no application response is in progress until the next flush, so one
    // write sequence is never split between the two paths.
    private bool Holding()
    {
        if (_held is null && !_applicationResponding)
        {
            _held = new ArrayBufferWriter<byte>(256);
        }

        return _held is not null;
    }

    private void Release()
    {
        if (_held is not { } held)
        {
            return;
        }

        _held = null;
        if (KestrelRejection.WithEnvelope(held.WrittenSpan, limits) is { } rendered)
        {
            inner.Write(rendered);
        }
        else if (held.WrittenCount > 0)
        {
            inner.Write(held.WrittenSpan);
        }
    }
}
