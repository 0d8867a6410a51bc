using System.Text.Json;
using ClaudeCache.Anthropic;
using ClaudeCache.Costs;
using ClaudeCache.Entries;

namespace ClaudeCache.Caching;

/// <summary>
/// The engine behind the proxy and the in-process handler: prepare (steps 2–4), look up (step 5), and on a miss
/// join or lead a flight (step 7; the <see cref="FlightRunner"/> does steps 8–10). Rendering a hit or following a
/// flight is the caller's job, in its own response type.
/// </summary>
public sealed partial class CacheEngine(RequestPreparer preparer, ResponseCache cache, FlightRegistry flights, FlightRunner runner)
{
    /// <summary>The response cache.</summary>
    public ResponseCache Cache => cache;

    /// <summary>
    /// Records every request answered through this engine in the savings ledger, as the proxy does (one entry per
    /// request: hit, miss, refresh, bypass or error). Null: nothing is recorded. Engines made by
    /// <c>ClaudeCacheEngineFactory</c> or <c>AddClaudeCache</c> set it over the cache's store.
    /// </summary>
    public LedgerRecorder? Ledger { get; set; }

    /// <summary>Steps 2–4; null with a message for a 400 when the request is invalid.</summary>
    public PreparedRequest? Prepare(string path, RequestEndpoint endpoint, JsonElement root, in RequestHeaders headers, out string? error) =>
        preparer.Prepare(path, endpoint, root, headers, out error);

    /// <summary>Step 5: the stored answer, when the policy allows a lookup and there is one.</summary>
    public ValueTask<CachedResponse?> LookupAsync(PreparedRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Policy.Lookup ? cache.GetAsync(request.Key, cancellationToken) : ValueTask.FromResult<CachedResponse?>(null);
    }

    /// <summary>
    /// Step 7: joins the identical call in flight, or starts one with <paramref name="send"/>. Requests that may
    /// not be stored never join: they call alone.
    /// </summary>
    public FlightTicket JoinOrStart(PreparedRequest request, UpstreamSend send)
    {
        ArgumentNullException.ThrowIfNull(request);
        var candidate = new Flight(request.WantsStream);
        if (!request.Policy.Store)
        {
            runner.Start(candidate, send, request.Intent, registered: false);
            return new FlightTicket(candidate, IsLeader: true);
        }

        if (flights.TryJoinOrLead(request.Key, candidate, out var flight))
        {
            runner.Start(flight, send, request.Intent, registered: true);
            return new FlightTicket(flight, IsLeader: true);
        }

        // Counted here, once for every front end (proxy, handler, GetOrCallAsync).
        cache.Metrics.CoalescedRequest();
        return new FlightTicket(flight, IsLeader: false);
    }

    /// <summary>
    /// Calls alone, storing nothing: for a caller whose shared flight could not answer in its form (a stream
    /// recorded for a JSON caller that failed, say).
    /// </summary>
    public Flight CallAlone(PreparedRequest request, UpstreamSend send)
    {
        ArgumentNullException.ThrowIfNull(request);
        var flight = new Flight(request.WantsStream);
        runner.Start(flight, send, request.Intent with { Store = false }, registered: false);
        return flight;
    }
}
