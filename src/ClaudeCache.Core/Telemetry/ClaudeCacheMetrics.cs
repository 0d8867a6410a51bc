using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ClaudeCache.Telemetry;

/// <summary>
/// The product's one <see cref="Meter"/> ("ClaudeCache"). Instruments are dotted lowercase names; tags are
/// outcome, strategy, model, tier and operation — never a cache key (unbounded cardinality).
/// </summary>
public sealed class ClaudeCacheMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to (OpenTelemetry, dotnet-counters).</summary>
    public const string MeterName = "ClaudeCache";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _storeErrors;
    private readonly Counter<long> _discarded;
    private readonly Counter<long> _oversized;
    private readonly Counter<long> _coalesced;
    private readonly Histogram<double> _duration;
    private long _storeErrorCount;
    private long _coalescedCount;

    /// <summary>Creates the instruments, through <paramref name="meterFactory"/> when there is one (DI).</summary>
    public ClaudeCacheMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _requests = _meter.CreateCounter<long>("claudecache.requests", "{request}", "Requests by cache outcome");
        _storeErrors = _meter.CreateCounter<long>("claudecache.store.errors", "{error}", "Store operations that failed (served fail-open)");
        _discarded = _meter.CreateCounter<long>("claudecache.entries.discarded", "{entry}", "Stored entries found corrupt or of an unknown format");
        _oversized = _meter.CreateCounter<long>("claudecache.entries.oversized", "{entry}", "Answers too large to store");
        _coalesced = _meter.CreateCounter<long>("claudecache.requests.coalesced", "{request}", "Requests that joined an identical in-flight upstream call");
        _duration = _meter.CreateHistogram<double>("claudecache.request.duration", "s", "Time to serve a request through the proxy");
    }

    /// <summary>Store failures since start (all operations).</summary>
    public long StoreErrors => Interlocked.Read(ref _storeErrorCount);

    /// <summary>Requests that joined an in-flight call since start.</summary>
    public long Coalesced => Interlocked.Read(ref _coalescedCount);

    /// <summary>Counts one request and its duration.</summary>
    public void Request(string outcome, string strategy, string model, TimeSpan duration)
    {
        var tags = new TagList { { "outcome", outcome }, { "strategy", strategy }, { "model", model } };
        _requests.Add(1, tags);
        _duration.Record(duration.TotalSeconds, tags);
    }

    /// <summary>Counts a failed store operation.</summary>
    public void StoreError(string operation)
    {
        Interlocked.Increment(ref _storeErrorCount);
        _storeErrors.Add(1, new KeyValuePair<string, object?>("operation", operation));
    }

    /// <summary>Counts a discarded entry.</summary>
    public void DiscardedEntry(string status) => _discarded.Add(1, new KeyValuePair<string, object?>("status", status));

    /// <summary>Counts an answer too large to store.</summary>
    public void OversizedEntry() => _oversized.Add(1);

    /// <summary>Counts a request that joined an in-flight call.</summary>
    public void CoalescedRequest()
    {
        Interlocked.Increment(ref _coalescedCount);
        _coalesced.Add(1);
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
