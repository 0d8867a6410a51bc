using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Pipeline;

namespace ClaudeCache;

// Serving expired entries kept for their grace, and the reason of every miss (docs/serve-stale.md).
public sealed partial class CacheEngine
{
    /// <summary>
    /// <c>stale-while-revalidate</c>: an expired entry within the request's window answers at once, and one call per key
    /// (joined when already in flight) refreshes it in the background; that call is recorded as a refresh. Null otherwise.
    /// </summary>
    private CacheOutcome? ServeWhileRevalidating(CacheRequest request, PreparedRequest prepared, string partition, IReadOnlyList<string> tags, in CacheLookup lookup, long started)
    {
        if (lookup.Stale is not { } stale || !WithinGrace(stale.ExpiresAt, prepared.Policy.Stale.WhileRevalidate))
        {
            return null;
        }

        var candidate = new Flight(prepared.WantsStream);
        if (_flights.TryJoinOrLead(prepared.Key, candidate, out var flight))
        {
            Start(flight, UpstreamCall(request, prepared, partition), prepared.Intent with { Tags = tags }, registered: true);
            _cache.Metrics.StaleRevalidation();
            Ledger?.RecordWhenJudged(prepared, flight, LedgerOutcome.Refresh, TimeSpan.Zero, LedgerRow.RevalidationReason);
        }

        return ServeStale(prepared, stale, StaleReasons.Revalidating, started);
    }

    /// <summary>
    /// <c>stale-if-error</c>: when the upstream failed (500, 502, 503, 504, 529, a timeout, unreachable) and an
    /// expired entry is within the request's grace, it answers instead of the error. Never for a 4xx: the request is
    /// wrong, not the API. Null otherwise.
    /// </summary>
    private CacheOutcome? ServeStaleOnError(PreparedRequest prepared, in CacheLookup lookup, FlightHead head, long started)
    {
        if (lookup.Stale is not { } stale || StaleReasons.OfFailure(head) is not { } reason || !WithinGrace(stale.ExpiresAt, prepared.Policy.Stale.IfError))
        {
            return null;
        }

        return ServeStale(prepared, stale, reason, started);
    }

    private CacheOutcome ServeStale(PreparedRequest prepared, Entries.CachedResponse stale, string reason, long started)
    {
        _cache.Metrics.StaleServed(reason);
        return CacheOutcome.FromStale(prepared, stale, reason, Ledger, _time, started);
    }

    private bool WithinGrace(DateTimeOffset expiredAt, TimeSpan window) =>
        window > TimeSpan.Zero && _time.GetUtcNow() - expiredAt <= window;

    /// <summary>Gives an outcome that was not answered from the cache its <c>x-cache-miss-reason</c>, and counts it.</summary>
    private CacheOutcome WithMissReason(CacheOutcome outcome, in CacheLookup lookup)
    {
        MissReason? reason = outcome.Status switch
        {
            CacheStatus.Miss => lookup.Reason,
            CacheStatus.Refresh => MissReason.Refresh,
            CacheStatus.Bypass => MissReason.Bypass,
            _ => null,
        };
        if (reason is { } known)
        {
            outcome.MissReason = known;
            _cache.Metrics.Missed(known);
        }

        return outcome;
    }
}
