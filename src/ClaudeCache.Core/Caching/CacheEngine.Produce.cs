using ClaudeCache.Caching;
using ClaudeCache.Keys;
using ClaudeCache.Pipeline;

namespace ClaudeCache;

/// <summary>The request path for front ends whose answers are produced in-process under keys of their own.</summary>
public sealed partial class CacheEngine
{
    /// <summary>
    /// The request path of a front end that is not an HTTP client — the <c>IChatClient</c> middleware, under its own
    /// keys: step 5 (look up <see cref="StoreIntent.Key"/>), else step 7 (join the identical call in flight, or lead one
    /// whose leader runs <paramref name="produce"/>). Steps 8–10 are an upstream call's (<see cref="FlightRunner"/>):
    /// the call is shared by every identical caller in this process and, through the distributed coalescer, on other
    /// instances; it runs detached from every caller; only an answer produced in full is stored.
    /// </summary>
    /// <param name="intent">The key, and how to store the answer (<see cref="StoreIntent.Kind"/> is the form <paramref name="produce"/> returns).</param>
    /// <param name="streaming">Whether a leader writes its answer as a stream (a caller of the other form converts it).</param>
    /// <param name="produce">Makes the call: at most once per flight, with the upstream timeout, never a caller's token.</param>
    /// <param name="join">False: neither join a call in flight nor let others join this one (its answer is still stored).</param>
    /// <param name="cancellationToken">Stops the lookup; a started call is not cancelled by it.</param>
    public ValueTask<ProducedOutcome> GetOrProduceAsync(StoreIntent intent, bool streaming, FlightProducer produce, bool join, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intent);
        ArgumentNullException.ThrowIfNull(produce);

        // Untraced (no listener): the steps alone, without a span. Traced: inside the caller's cache span (docs/traces.md).
        return Telemetry.ClaudeCacheTracing.Source.HasListeners()
            ? GetOrProduceTracedAsync(intent, streaming, produce, join, cancellationToken)
            : GetOrProduceCoreAsync(intent, streaming, produce, join, cancellationToken);
    }

    private async ValueTask<ProducedOutcome> GetOrProduceCoreAsync(StoreIntent intent, bool streaming, FlightProducer produce, bool join, CancellationToken cancellationToken)
    {
        var lookup = !intent.Replaces;
        while (true)
        {
            // Step 5: look up.
            if (lookup && await _cache.GetAsync(intent.Key, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                return new ProducedOutcome(CacheStatus.Hit, Coalesced: false, entry, Flight: null);
            }

            // Step 7: join an identical call in flight, or lead one; a call whose answer is in is waited out (AfterAnswerAsync).
            var ticket = JoinOrLead(intent.Key, streaming, join && intent.Store, (flight, registered) => _runner.Start(flight, produce, intent, registered));
            if (!await AfterAnswerAsync(ticket, cancellationToken).ConfigureAwait(false))
            {
                return new ProducedOutcome(CacheStatusRules.OfCaller(ticket.IsLeader, intent.Store, lookup), !ticket.IsLeader, Entry: null, ticket.Flight);
            }
        }
    }

    /// <summary>
    /// For a caller that found a call whose whole answer is already in (<see cref="FlightTicket.AfterAnswer"/>): waits
    /// for the call to end — its answer stored, the call out of the registry — and returns true, so that the caller
    /// starts over at step 5 and gets the stored answer as a plain hit, as any later caller does (or, if the answer was
    /// not stored, calls again). Returns false for every other ticket.
    /// </summary>
    private static async ValueTask<bool> AfterAnswerAsync(FlightTicket ticket, CancellationToken cancellationToken)
    {
        if (!ticket.AfterAnswer)
        {
            return false;
        }

        await ticket.Flight.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Joins the flight in the registry for <paramref name="key"/>, or starts one with <paramref name="start"/>
    /// (given the flight and whether it is registered). A caller that may not <paramref name="join"/> calls alone.
    /// </summary>
    private FlightTicket JoinOrLead(CacheKey key, bool streaming, bool join, Action<Flight, bool> start)
    {
        var candidate = new Flight(streaming);
        if (!join)
        {
            start(candidate, false);
            return new FlightTicket(candidate, IsLeader: true);
        }

        if (_flights.TryJoinOrLead(key, candidate, out var flight))
        {
            start(flight, true);
            return new FlightTicket(flight, IsLeader: true);
        }

        if (flight.IsAnswered)
        {
            // Too late to share the call: its answer is whole (a client may already have it all).
            return new FlightTicket(flight, IsLeader: false, AfterAnswer: true);
        }

        _cache.Metrics.CoalescedRequest();
        return new FlightTicket(flight, IsLeader: false);
    }
}
