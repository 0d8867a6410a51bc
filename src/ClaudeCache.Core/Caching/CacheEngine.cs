using System.Buffers;
using System.Text.Json;
using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Pipeline;
using ClaudeCache.PromptCaching;

namespace ClaudeCache;

/// <summary>
/// The one request path behind every front end (the proxy's endpoint, <c>ClaudeCacheHandler</c>,
/// <see cref="GetOrCallAsync(ReadOnlyMemory{byte}, RequestHeaders, UpstreamSend, CancellationToken)"/>): raw body and
/// request facts in, one <see cref="CacheOutcome"/> out. The steps are numbered as in docs/request-path.md; front ends
/// only read their request and write the outcome in their own response type.
/// </summary>
public sealed partial class CacheEngine
{
    private readonly RequestPreparer _preparer;
    private readonly ResponseCache _cache;
    private readonly FlightRegistry _flights;
    private readonly FlightRunner _runner;
    private readonly PromptCachePlanner? _promptCache;
    private readonly TimeProvider _time;

    /// <summary>Composes the engine (the container does it: <c>AddClaudeCache</c>).</summary>
    /// <param name="preparer">Steps 2–4.</param>
    /// <param name="cache">Step 5's tiers, and step 10's store.</param>
    /// <param name="flights">Step 7's calls in flight.</param>
    /// <param name="runner">Steps 8–10 of a call.</param>
    /// <param name="ledger">Records every request answered (null: nothing is recorded).</param>
    /// <param name="costEstimator">Prices <see cref="CacheCallResult"/>s (null: no prices).</param>
    /// <param name="promptCache">Plans <c>cache_control</c> breakpoints on upstream calls (null: bodies go as received).</param>
    /// <param name="memo">Step 1's memo of prepared requests (null: a default-sized one).</param>
    /// <param name="timeProvider">The clock latencies are measured with.</param>
    public CacheEngine(
        RequestPreparer preparer,
        ResponseCache cache,
        FlightRegistry flights,
        FlightRunner runner,
        LedgerRecorder? ledger = null,
        ICostEstimator? costEstimator = null,
        PromptCachePlanner? promptCache = null,
        RequestMemo? memo = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(preparer);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(flights);
        ArgumentNullException.ThrowIfNull(runner);
        _preparer = preparer;
        _cache = cache;
        _flights = flights;
        _runner = runner;
        Ledger = ledger;
        CostEstimator = costEstimator;
        _promptCache = promptCache;
        Memo = memo ?? new RequestMemo(ResponseCacheOptions.DefaultRequestMemoEntries, ResponseCacheOptions.DefaultRequestMemoBytes);
        _time = timeProvider ?? ledger?.Time ?? TimeProvider.System;
    }

    /// <summary>The response cache.</summary>
    public ResponseCache Cache => _cache;

    /// <summary>Records every request answered through this engine in the savings ledger, as the proxy does. Null: nothing is recorded.</summary>
    public LedgerRecorder? Ledger { get; }

    /// <summary>Prices answers for <see cref="CacheCallResult.Cost"/> and <see cref="CacheCallResult.Saving"/>.</summary>
    public ICostEstimator? CostEstimator { get; }

    /// <summary>Step 1's memo of prepared requests.</summary>
    public RequestMemo Memo { get; }

    /// <summary>Step 7's prompt-cache planner, when breakpoints are planned.</summary>
    public PromptCachePlanner? PromptCache => _promptCache;

    // The steps themselves; HandleAsync (CacheEngine.Tracing.cs) wraps them in a span when one is listened to.
    private async ValueTask<CacheOutcome> HandleCoreAsync(CacheRequest request, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();

        // Tags ride along with the entry, outside the key (and the memo): checked on every request.
        if (!CacheTags.TryParse(request.Headers.Tags, out var tags, out var tagError))
        {
            return CacheOutcome.Rejected(tagError, _time);
        }

        // Step 1: bytes already seen with the same key-relevant headers skip steps 2–4.
        var facts = _preparer.Facts(request.Path, request.Endpoint, request.Headers);
        var fingerprint = Memo.Enabled ? request.Fingerprint ?? BodyFingerprint.Of(request.Body) : 0;
        var prepared = Memo.TryGet(fingerprint, facts, request.Body);
        Telemetry.CacheSpans.MemoHit(prepared is not null);
        JsonDocument? parsed = null;
        try
        {
            if (prepared is null)
            {
                // Steps 2–4: parse, validate, policy, key. The parsed body is kept for the prompt-cache planner (step 7).
                prepared = Prepare(request, facts.Partition, out parsed, out var error);
                if (prepared is null)
                {
                    return CacheOutcome.Rejected(error!, _time);
                }

                Memo.Add(fingerprint, facts, request.Body, prepared);
            }

            return await LookUpOrCallAsync(request, facts, prepared, parsed, tags, started, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            parsed?.Dispose();
        }
    }

    private async ValueTask<CacheOutcome> LookUpOrCallAsync(
        CacheRequest request, MemoFacts facts, PreparedRequest prepared, JsonDocument? parsed, IReadOnlyList<string> tags, long started, CancellationToken cancellationToken)
    {
        var lookup = default(CacheLookup);
        FlightTicket ticket;
        do
        {
            // Steps 5–6: look up; a hit is rendered by the front end. An expired entry kept for its grace may answer at
            // once while it is refreshed (stale-while-revalidate), or below if the upstream fails (CacheEngine.Stale.cs).
            if (prepared.Policy.Lookup)
            {
                lookup = await _cache.LookupAsync(prepared.Key, cancellationToken).ConfigureAwait(false);
                if (lookup.IsFresh)
                {
                    return CacheOutcome.FromLookup(prepared, lookup.Entry!, Ledger, _time, started);
                }

                if (ServeWhileRevalidating(request, prepared, facts.Partition, tags, lookup, started) is { } revalidating)
                {
                    return revalidating;
                }
            }

            // Step 7: join an identical call in flight, or lead one (the runner does steps 8–10). A call whose whole
            // answer is already in is not shared: it is waited out, and the answer looked up again (AfterAnswerAsync).
            ticket = JoinOrStart(prepared, () => UpstreamCall(request, prepared, facts.Partition, parsed?.RootElement), tags);
        }
        while (await AfterAnswerAsync(ticket, cancellationToken).ConfigureAwait(false));

        // Planned (the planner copies what it sends): the parsed body is not held while the call runs.
        parsed?.Dispose();

        var policy = prepared.Policy;
        var status = CacheStatusRules.OfCaller(ticket.IsLeader, policy.Store, policy.Lookup);
        var coalesced = !ticket.IsLeader;
        var flight = ticket.Flight;
        var ledgerOutcome = status.ToLedger();
        try
        {
            var head = await flight.Head.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (flight.Streaming != prepared.WantsStream && head.StatusCode == 200)
            {
                // A stream recorded for one caller answers a caller of the other form once complete.
                var judged = await flight.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (judged.Response is { } answer)
                {
                    return WithMissReason(CacheOutcome.FromFlight(prepared, head.FromCache ? CacheStatus.Hit : status, coalesced, flight, head, answer, ledgerOutcome, Ledger, _time, started), lookup);
                }

                // It could not answer in this caller's form: call alone (and pay for it).
                flight = CallAlone(prepared, UpstreamCall(request, prepared, facts.Partition));
                status = policy.Store ? CacheStatus.Miss : CacheStatus.Bypass;
                ledgerOutcome = status.ToLedger();
                coalesced = false;
                head = await flight.Head.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            // Another instance's answer (through the shared store) is a hit; a share of a failed call is not.
            status = CacheStatusRules.Answered(status, coalesced, head);
            if (ServeStaleOnError(prepared, lookup, head, started) is { } stale)
            {
                return stale;
            }

            return WithMissReason(CacheOutcome.FromFlight(prepared, status, coalesced, flight, head, null, ledgerOutcome, Ledger, _time, started), lookup);
        }
        catch (OperationCanceledException)
        {
            // A caller that left still cost (or saved) what its flight did.
            Ledger?.RecordWhenJudged(prepared, flight, ledgerOutcome, _time.GetElapsedTime(started));
            throw;
        }
    }

    /// <summary>Steps 2–4; <paramref name="parsed"/> is the parsed body of a valid request (the caller disposes it).</summary>
    private PreparedRequest? Prepare(CacheRequest request, string partition, out JsonDocument? parsed, out string? error)
    {
        parsed = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(request.Body);
        }
        catch (JsonException ex)
        {
            error = $"The request body is not valid JSON: {ex.Message}";
            return null;
        }

        var prepared = _preparer.Prepare(request.Path, request.Endpoint, document.RootElement, request.Headers, partition, out error);
        if (prepared is null)
        {
            document.Dispose();
            return null;
        }

        parsed = document;
        return prepared;
    }

    /// <summary>
    /// Step 7's call, made only by the leader of a flight: a copy of the caller's bytes (the call outlives the
    /// request), with the prompt-cache planner's <c>cache_control</c> breakpoints (<c>PromptCaching</c>, or
    /// <c>x-cache-prompt-breakpoints</c>). The key came from the caller's body and ignores <c>cache_control</c>, so it
    /// never changes.
    /// </summary>
    private (UpstreamSend Send, PromptCacheCall? Call) UpstreamCall(CacheRequest request, PreparedRequest prepared, string partition, JsonElement? parsed = null)
    {
        // The body parsed in step 2 is planned on as it is; a planned body is a new array, so the caller's bytes are
        // copied only when they are sent as they came.
        if (_promptCache is not null && parsed is { } root
            && _promptCache.Plan(root, request.Body.Length, prepared.Endpoint, partition, request.Headers.PromptBreakpoints, prepared.Tenant) is { } planned)
        {
            return (planned.Wrap(request.CreateSender(planned.Body)), planned);
        }

        var body = request.Body.ToArray();
        if (_promptCache is null || parsed is not null)
        {
            return (request.CreateSender(body), null);
        }

        // A request keyed from the memo (step 1) was not parsed: the planner parses it.
        var call = _promptCache.Plan(body, prepared.Endpoint, partition, request.Headers.PromptBreakpoints, prepared.Tenant);
        return (call.Wrap(request.CreateSender(call.Body)), call.Marked ? call : null);
    }

    /// <summary>Joins the identical call in flight, or starts one. Requests that may not be stored never join: they call alone.</summary>
    /// <remarks>Identical requests with other tags share the leader's call, and its entry carries the leader's tags.</remarks>
    private FlightTicket JoinOrStart(PreparedRequest request, Func<(UpstreamSend Send, PromptCacheCall? Call)> call, IReadOnlyList<string> tags)
    {
        var intent = request.Intent with { Tags = tags };
        return JoinOrLead(request.Key, request.WantsStream, join: request.Policy.Store, (flight, registered) => Start(flight, call(), intent, registered));
    }

    private void Start(Flight flight, (UpstreamSend Send, PromptCacheCall? Call) call, StoreIntent intent, bool registered)
    {
        flight.PromptCache = call.Call;
        call.Call?.Judge(flight);
        _runner.Start(flight, call.Send, intent, registered);
    }

    /// <summary>Calls alone, storing nothing: for a caller whose shared flight could not answer in its form.</summary>
    private Flight CallAlone(PreparedRequest request, (UpstreamSend Send, PromptCacheCall? Call) call)
    {
        var flight = new Flight(request.WantsStream);
        Start(flight, call, request.Intent with { Store = false }, registered: false);
        return flight;
    }
}
