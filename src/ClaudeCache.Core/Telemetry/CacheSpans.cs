using System.Diagnostics;
using ClaudeCache.Keys;
using ClaudeCache.Pipeline;
using ClaudeCache.Policy;

namespace ClaudeCache.Telemetry;

/// <summary>
/// The cache span of one request: started around <see cref="CacheEngine.HandleAsync"/>, described from its
/// <see cref="CacheOutcome"/>, ended when the outcome is disposed (its response written). Facts only the inner steps
/// know (the memo, the tier a lookup read) are set on the current span while it is the current activity.
/// </summary>
internal static class CacheSpans
{
    /// <summary>
    /// Starts the span (null when nobody listens or the sampler drops it); it becomes the current activity. Its parent
    /// is the caller's span: the current activity when something records it (its source has listeners); else the
    /// remote <paramref name="callerTrace"/> the request carried; else the parent of the current activity (an activity
    /// nobody records, such as ASP.NET Core's own without its instrumentation, would leave the span pointing at a span
    /// no exporter has); else none (a new trace).
    /// </summary>
    public static Activity? Start(ActivityContext callerTrace)
    {
        var current = Activity.Current;
        if (current is null || current.Source.HasListeners())
        {
            return current is null && callerTrace != default
                ? ClaudeCacheTracing.Source.StartActivity(ClaudeCacheTracing.CacheSpanName, ActivityKind.Internal, callerTrace)
                : ClaudeCacheTracing.Source.StartActivity(ClaudeCacheTracing.CacheSpanName, ActivityKind.Internal);
        }

        var parent = callerTrace != default ? callerTrace
            : current.ParentSpanId != default ? new ActivityContext(current.TraceId, current.ParentSpanId, current.ActivityTraceFlags, current.TraceStateString, isRemote: true)
            : default;
        if (parent == default)
        {
            // A new trace: with a current activity, StartActivity would make it the parent. Called from an async method,
            // so the caller's own current activity is left as it was.
            Activity.Current = null;
        }

        return ClaudeCacheTracing.Source.StartActivity(ClaudeCacheTracing.CacheSpanName, ActivityKind.Internal, parent);
    }

    /// <summary>Step 1's verdict, on the request's cache span when there is one.</summary>
    public static void MemoHit(bool hit) => Current()?.SetTag(ClaudeCacheTracing.MemoHit, hit);

    /// <summary>Which tier a lookup found the entry in, on the request's cache span when there is one.</summary>
    public static void FoundIn(bool memory) => Current()?.SetTag(ClaudeCacheTracing.Tier, memory ? ClaudeCacheTracing.TierMemory : ClaudeCacheTracing.TierSecond);

    /// <summary>Tags the span with the outcome, once it is decided.</summary>
    public static void Describe(Activity span, CacheOutcome outcome)
    {
        span.SetTag(ClaudeCacheTracing.ResponseStatusCode, outcome.StatusCode);
        if (outcome.Request is not { } request)
        {
            span.SetTag(ClaudeCacheTracing.Status, "REJECTED");
            return;
        }

        Describe(span, outcome.Status, request.Policy.Strategy, request.Key, outcome.Coalesced);
        if (outcome.Flight is not null)
        {
            // A lookup hit was tagged with its tier by the lookup itself; a flight's answer came from one of these.
            FlightTier(span, outcome.Head?.FromCache == true, outcome.Coalesced);
        }
    }

    /// <summary>Tags a keyed request's span: its status, strategy, key prefix, and whether it shared another caller's call.</summary>
    public static void Describe(Activity span, CacheStatus status, CacheStrategy strategy, CacheKey key, bool coalesced)
    {
        span.SetTag(ClaudeCacheTracing.Status, status.ToHeader());
        span.SetTag(ClaudeCacheTracing.Strategy, StrategyNames.ToHeader(strategy));
        span.SetTag(ClaudeCacheTracing.KeyPrefix, key.ToHex()[..ClaudeCacheTracing.KeyPrefixLength]);
        span.SetTag(ClaudeCacheTracing.Coalesced, coalesced);
    }

    /// <summary>
    /// Tags the tier of a request answered by a flight: another instance's stored answer (<paramref name="fromCache"/>),
    /// an identical call in flight (<paramref name="coalesced"/>), or its own upstream call.
    /// </summary>
    public static void FlightTier(Activity span, bool fromCache, bool coalesced) =>
        span.SetTag(ClaudeCacheTracing.Tier, fromCache ? ClaudeCacheTracing.TierInstance
            : coalesced ? ClaudeCacheTracing.TierFlight
            : ClaudeCacheTracing.TierUpstream);

    /// <summary>Tags the status a flight's caller is served once the flight's head is known, and the tier that answered it.</summary>
    public static void Served(Activity span, CacheStatus status, bool fromCache, bool coalesced)
    {
        span.SetTag(ClaudeCacheTracing.Status, status.ToHeader());
        FlightTier(span, fromCache, coalesced);
    }

    /// <summary>Ends the span of a request that threw (a caller that left, a failing front end).</summary>
    public static void Fail(Activity span, Exception exception)
    {
        span.SetTag(ClaudeCacheTracing.ErrorType, exception.GetType().FullName);
        span.SetStatus(ActivityStatusCode.Error);
        span.Dispose();
    }

    // Only our own cache span: an inner step must never tag the front end's span (ASP.NET's, HttpClient's) or the
    // upstream span of a flight.
    private static Activity? Current() =>
        Activity.Current is { } current && ReferenceEquals(current.Source, ClaudeCacheTracing.Source) && current.Kind == ActivityKind.Internal
            ? current
            : null;
}
