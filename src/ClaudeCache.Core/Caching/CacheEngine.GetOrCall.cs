using ClaudeCache.Anthropic;
using ClaudeCache.Pipeline;

namespace ClaudeCache;

/// <summary>The direct API: one call in, one answer out, with no HTTP response to render — an adapter over <see cref="HandleAsync"/>.</summary>
public sealed partial class CacheEngine
{
    /// <summary>
    /// Answers a <c>POST /v1/messages</c> body from the cache, or calls <paramref name="callUpstream"/> once (joining
    /// an identical call in flight) and stores the answer under the proxy's key and rules.
    /// </summary>
    /// <param name="requestBody">The Messages request body (JSON). With <c>"stream": true</c> the engine records the
    /// stream, so a later streaming caller replays it, and still returns the accumulated Message.</param>
    /// <param name="headers">The headers that shape the key and policy (credential, API version, cache controls).</param>
    /// <param name="callUpstream">Sends the request upstream; called at most once, detached from <paramref name="cancellationToken"/>.</param>
    /// <param name="cancellationToken">Stops waiting; a started upstream call still completes and is stored.</param>
    public Task<CacheCallResult> GetOrCallAsync(ReadOnlyMemory<byte> requestBody, RequestHeaders headers, UpstreamSend callUpstream, CancellationToken cancellationToken) =>
        GetOrCallAsync("/v1/messages", RequestEndpoint.Messages, requestBody, headers, callUpstream, cancellationToken);

    /// <summary>
    /// <see cref="GetOrCallAsync(ReadOnlyMemory{byte}, RequestHeaders, UpstreamSend, CancellationToken)"/> for any
    /// cached endpoint: <paramref name="path"/> is the route folded into the key (<c>/v1/messages/count_tokens</c>).
    /// An invalid body or control header is answered with a 400 envelope, as the proxy does, and never sent upstream.
    /// </summary>
    public async Task<CacheCallResult> GetOrCallAsync(
        string path,
        RequestEndpoint endpoint,
        ReadOnlyMemory<byte> requestBody,
        RequestHeaders headers,
        UpstreamSend callUpstream,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(callUpstream);
        using var outcome = await HandleAsync(new CacheRequest(path, endpoint, requestBody, headers, _ => callUpstream), cancellationToken).ConfigureAwait(false);
        switch (outcome.Kind)
        {
            case CacheOutcomeKind.Rejected:
                return new CacheCallResult(400, outcome.ErrorEnvelopeBody().Body, false, false, false, "", default, default, null, null);
            case CacheOutcomeKind.Stored:
                // The Message itself, whatever form the caller asked for.
                return Result(outcome, 200, outcome.Entry!.Body, success: true);
        }

        var judged = await outcome.Flight!.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
        return judged.Response is { } answer
            ? Result(outcome, 200, answer.Body, success: true)
            : Result(outcome, outcome.Head!.StatusCode, outcome.Flight.Body.WrittenMemory, success: false);
    }

    private CacheCallResult Result(CacheOutcome outcome, int statusCode, ReadOnlyMemory<byte> body, bool success)
    {
        var prepared = outcome.Request!;
        var fromCache = outcome.Status is CacheStatus.Hit or CacheStatus.Stale;
        var usage = success && prepared.Endpoint == RequestEndpoint.Messages ? MessageJson.ReadUsage(body.Span) : default;
        decimal? cost = null;
        decimal? saving = null;
        if (success && CostEstimator is { } estimator)
        {
            // Nothing is both spent and saved: a hit spent 0 and saved the answer's price; a miss the other way round.
            var price = estimator.EstimateCost(MessageJson.ReadModel(body.Span) ?? prepared.Model, usage);
            cost = fromCache ? 0m : price;
            saving = fromCache ? price : 0m;
        }

        return new CacheCallResult(statusCode, body, success, fromCache, outcome.Coalesced, outcome.Status.ToHeader(), prepared.Key, usage, cost, saving);
    }
}
