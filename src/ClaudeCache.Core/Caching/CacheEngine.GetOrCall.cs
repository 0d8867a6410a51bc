using System.Text.Json;
using ClaudeCache.Anthropic;
using ClaudeCache.Costs;

namespace ClaudeCache.Caching;

/// <summary>The direct API: one call in, one answer out, with no HTTP response to render.</summary>
public sealed partial class CacheEngine
{
    private const string Hit = "HIT";

    /// <summary>Prices answers for <see cref="CacheCallResult.Cost"/> and <see cref="CacheCallResult.Saving"/> (the ledger's hook).</summary>
    public ICostEstimator? CostEstimator { get; set; }

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
        var ledger = Ledger;
        var started = ledger?.Time.GetTimestamp() ?? 0;

        // Steps 2–4.
        PreparedRequest? prepared;
        string? error;
        try
        {
            using var document = JsonDocument.Parse(requestBody);
            prepared = Prepare(path, endpoint, document.RootElement, headers, out error);
        }
        catch (JsonException ex)
        {
            prepared = null;
            error = $"The request body is not valid JSON: {ex.Message}";
        }

        if (prepared is null)
        {
            var envelope = ErrorEnvelope.Create(ErrorTypes.InvalidRequest, error!, RequestIds.New());
            return new CacheCallResult(400, envelope, false, false, false, "", default, default, null, null);
        }

        // Steps 5–6.
        var entry = await LookupAsync(prepared, cancellationToken).ConfigureAwait(false);
        if (entry is not null)
        {
            ledger?.RecordHit(prepared, entry, ledger.Time.GetElapsedTime(started));
            return Result(prepared, 200, entry.Body, true, fromCache: true, coalesced: false, Hit);
        }

        // Step 7; the runner does 8–10. The outcome carries the Message even when the flight recorded a stream.
        var ticket = JoinOrStart(prepared, callUpstream);
        var policy = prepared.Policy;
        var status = !ticket.IsLeader ? Hit : !policy.Store ? "BYPASS" : policy.Lookup ? "MISS" : "REFRESH";
        FlightOutcome outcome;
        try
        {
            outcome = await ticket.Flight.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // One entry per call, when the flight is judged; a caller that stopped waiting still cost what it did.
            var recorded = !ticket.IsLeader ? LedgerOutcome.Hit : !policy.Store ? LedgerOutcome.Bypass : policy.Lookup ? LedgerOutcome.Miss : LedgerOutcome.Refresh;
            ledger?.RecordWhenJudged(prepared, ticket.Flight, recorded, ledger.Time.GetElapsedTime(started));
        }

        if (outcome.Response is { } answer)
        {
            // A flight that another instance answered (through the shared store) spent nothing: a hit, as in the proxy.
            return outcome.ServedFromCache
                ? Result(prepared, 200, answer.Body, true, fromCache: true, coalesced: !ticket.IsLeader, Hit)
                : Result(prepared, 200, answer.Body, true, fromCache: !ticket.IsLeader, coalesced: !ticket.IsLeader, status);
        }

        var head = await ticket.Flight.Head.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Result(prepared, head.StatusCode, ticket.Flight.Body.WrittenMemory, false, fromCache: !ticket.IsLeader, coalesced: !ticket.IsLeader, status);
    }

    private CacheCallResult Result(PreparedRequest prepared, int statusCode, ReadOnlyMemory<byte> body, bool success, bool fromCache, bool coalesced, string status)
    {
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

        return new CacheCallResult(statusCode, body, success, fromCache, coalesced, status, prepared.Key, usage, cost, saving);
    }
}
