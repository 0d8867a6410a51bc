using ClaudeCache.Caching;
using ClaudeCache.Pipeline;
using ClaudeCache.Telemetry;

namespace ClaudeCache;

public sealed partial class CacheEngine
{
    /// <summary>
    /// Answers one request: a 400 for bad input, a stored answer, or a flight to follow (joined or started). Dispose
    /// the outcome once its response is written: that records it in the ledger (and ends its trace span).
    /// </summary>
    public ValueTask<CacheOutcome> HandleAsync(CacheRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Untraced (no listener): the steps alone, without a span or its tags built.
        return ClaudeCacheTracing.Source.HasListeners() ? HandleTracedAsync(request, cancellationToken) : HandleCoreAsync(request, cancellationToken);
    }

    // Async so that the span is the current activity only inside: the steps' inner facts (memo, tier) and the leader's
    // flight (which captures it when started) see it; the caller's own current activity is left as it was.
    private async ValueTask<CacheOutcome> HandleTracedAsync(CacheRequest request, CancellationToken cancellationToken)
    {
        var span = CacheSpans.Start(request.CallerTrace);
        if (span is null)
        {
            return await HandleCoreAsync(request, cancellationToken).ConfigureAwait(false);
        }

        CacheOutcome outcome;
        try
        {
            outcome = await HandleCoreAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            CacheSpans.Fail(span, ex);
            throw;
        }

        CacheSpans.Describe(span, outcome);
        // Ended when the outcome is disposed: the span covers writing the response, a live answer's whole stream too.
        outcome.Span = span;
        return outcome;
    }

    // GetOrProduceAsync inside the caller's cache span, as HandleTracedAsync: async so that the span is the current
    // activity only inside, where the lookup tags its tier and a leader's flight (which captures it when started) makes
    // the inner call's span its child. The front end ends it (ProducedOutcome.EndSpan) once its caller has the answer.
    private async ValueTask<ProducedOutcome> GetOrProduceTracedAsync(StoreIntent intent, bool streaming, FlightProducer produce, bool join, CancellationToken cancellationToken)
    {
        var span = CacheSpans.Start(default);
        if (span is null)
        {
            return await GetOrProduceCoreAsync(intent, streaming, produce, join, cancellationToken).ConfigureAwait(false);
        }

        ProducedOutcome outcome;
        try
        {
            outcome = await GetOrProduceCoreAsync(intent, streaming, produce, join, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            CacheSpans.Fail(span, ex);
            throw;
        }

        CacheSpans.Describe(span, outcome.Status, intent.Strategy, intent.Key, outcome.Coalesced);
        if (outcome.Flight is not null)
        {
            // The head is not known yet: an answer another instance stored is told by ProducedOutcome.Served.
            CacheSpans.FlightTier(span, fromCache: false, outcome.Coalesced);
        }

        outcome.Span = span;
        return outcome;
    }
}
