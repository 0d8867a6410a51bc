using System.Diagnostics;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Telemetry;

namespace ClaudeCache.Pipeline;

/// <summary>
/// The outcome of <see cref="CacheEngine.GetOrProduceAsync"/>: a stored answer, or a flight to follow (led or joined),
/// with the caller's <see cref="CacheStatus"/> decided by the rules every request path uses.
/// </summary>
/// <param name="Status">Hit for a stored answer or a share of a call in flight; the leader's policy status otherwise.</param>
/// <param name="Coalesced">True when this caller shares another caller's call.</param>
/// <param name="Entry">The stored answer (a hit from the lookup), or null.</param>
/// <param name="Flight">The flight to follow when there was no stored answer.</param>
public sealed record ProducedOutcome(CacheStatus Status, bool Coalesced, CachedResponse? Entry, Flight? Flight)
{
    /// <summary>
    /// The status once the flight's head is known: an answer another instance stored is a hit, a share of a call
    /// that failed is a miss.
    /// </summary>
    public CacheStatus StatusOnce(FlightHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        return CacheStatusRules.Answered(Status, Coalesced, head);
    }

    /// <summary>The caller's cache span (null when untraced): ended by the front end once the caller has its answer.</summary>
    internal Activity? Span { get; set; }

    /// <summary>Tags the cache span, once the flight's head is known, with the status the caller is served and the tier that answered.</summary>
    internal void Served(CacheStatus status, FlightHead head)
    {
        if (Span is { } span)
        {
            CacheSpans.Served(span, status, head.FromCache, Coalesced);
        }
    }

    /// <summary>Ends the cache span: the caller has its answer (or stopped reading it).</summary>
    internal void EndSpan() => Span?.Dispose();

    /// <summary>Ends the cache span of a caller that got an exception (the call failed, the caller cancelled).</summary>
    internal void FailSpan(Exception exception)
    {
        if (Span is { } span)
        {
            CacheSpans.Fail(span, exception);
        }
    }
}
