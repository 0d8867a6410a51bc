using System.Runtime;
using System.Threading.RateLimiting;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>
/// The bounds on what the messages endpoints hold at once (<see cref="ProxyOptions.MaxConcurrentRequests"/>,
/// <see cref="ProxyOptions.MaxInFlightRequestBodyBytes"/>): two <see cref="ConcurrencyLimiter"/>s without a queue, so
/// a request over either bound is refused at once rather than left waiting. Body bytes are counted in the
/// <see cref="RequestBody"/>'s 64 KiB chunks (a permit is one chunk; a body read whole reserves the same), one copy
/// of each body: what else a request holds while handled, up to about three times its body more, is measured in
/// docs/reliability.md and not counted here.
/// </summary>
internal sealed class RequestLimits : IDisposable
{
    /// <summary>What <c>retry-after</c> says on a refusal: the SDKs wait this long, then send the request again.</summary>
    public const int RetryAfterSeconds = 1;

    private readonly ConcurrencyLimiter _requests;
    private readonly ConcurrencyLimiter _bodyChunks;
    private readonly int _chunkLimit;
    private readonly int _requestLimit;
    private readonly ClaudeCacheMetrics _metrics;
    private int _burst;

    public RequestLimits(IOptions<ProxyOptions> options, ClaudeCacheMetrics metrics)
    {
        var value = options.Value;
        _metrics = metrics;
        _chunkLimit = RequestBody.ChunksFor(value.MaxInFlightRequestBodyBytes);
        _requestLimit = value.MaxConcurrentRequests;
        _requests = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = value.MaxConcurrentRequests, QueueLimit = 0 });
        _bodyChunks = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = _chunkLimit, QueueLimit = 0 });
        metrics.InFlightBodyBytes = () => InFlightBodyBytes;
    }

    /// <summary>Requests being handled.</summary>
    public int InFlightRequests => _requestLimit - (int)_requests.GetStatistics()!.CurrentAvailablePermits;

    /// <summary>Body bytes reserved by the requests being handled (whole chunks).</summary>
    public long InFlightBodyBytes => (long)(_chunkLimit - (int)_bodyChunks.GetStatistics()!.CurrentAvailablePermits) * RequestBody.ChunkBytes;

    /// <summary>A slot for one request, or a lease that is not acquired (counted as refused).</summary>
    public RateLimitLease EnterRequest() => Counted(_requests.AttemptAcquire(), "concurrency");

    /// <summary>Room for <paramref name="chunks"/> more body chunks, or a lease that is not acquired (counted as refused).</summary>
    public RateLimitLease ReserveChunks(int chunks)
    {
        var lease = Counted(_bodyChunks.AttemptAcquire(chunks), "body_bytes");
        if (lease.IsAcquired && InFlightBodyBytes >= BurstBytes)
        {
            Volatile.Write(ref _burst, 1);
        }

        return lease;
    }

    /// <summary>
    /// Called when a body's chunks are released. After a burst of large bodies (over a quarter of the bound in flight)
    /// has drained (under a sixteenth), one aggressive collection gives the memory back to the system: without it the
    /// heap the burst grew, and the large buffers <c>ArrayPool&lt;byte&gt;.Shared</c> keeps from parsing it, stay
    /// until the next collection, which an idle proxy never has.
    /// </summary>
    public void Released()
    {
        if (Volatile.Read(ref _burst) == 1 && InFlightBodyBytes < BurstBytes / 4 && Interlocked.Exchange(ref _burst, 0) == 1)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static _ =>
            {
                GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }, null);
        }
    }

    public void Dispose()
    {
        _requests.Dispose();
        _bodyChunks.Dispose();
    }

    private long BurstBytes => (long)_chunkLimit * RequestBody.ChunkBytes / 4;

    private RateLimitLease Counted(RateLimitLease lease, string reason)
    {
        if (!lease.IsAcquired)
        {
            _metrics.RequestOverloaded(reason);
        }

        return lease;
    }
}
