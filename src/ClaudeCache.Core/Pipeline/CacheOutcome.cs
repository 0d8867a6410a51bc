using System.Globalization;
using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Entries;
using ClaudeCache.Policy;

namespace ClaudeCache.Pipeline;

/// <summary>
/// The one outcome of <see cref="CacheEngine.HandleAsync"/>: a 400 to send, a stored answer to render, or a flight
/// to follow — with its status decided once. Disposing it records the request in the ledger (once, in one place):
/// front ends write the response, then dispose, so a caller that left still counts for what it cost or saved.
/// </summary>
public sealed class CacheOutcome : IDisposable
{
    private readonly LedgerRecorder? _ledger;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly LedgerOutcome _ledgerOutcome;
    private readonly bool _fromLookup;
    private int _recorded;

    private CacheOutcome(
        CacheOutcomeKind kind, PreparedRequest? request, CacheStatus status, bool coalesced, CachedResponse? entry, Flight? flight,
        FlightHead? head, string? error, LedgerRecorder? ledger, TimeProvider time, long started, LedgerOutcome ledgerOutcome, bool fromLookup)
    {
        Kind = kind;
        Request = request;
        Status = status;
        Coalesced = coalesced;
        Entry = entry;
        Flight = flight;
        Head = head;
        Error = error;
        _ledger = ledger;
        _time = time;
        _started = started;
        _ledgerOutcome = ledgerOutcome;
        _fromLookup = fromLookup;
    }

    /// <summary>Which of the three it is.</summary>
    public CacheOutcomeKind Kind { get; }

    /// <summary>The prepared request (null when rejected).</summary>
    public PreparedRequest? Request { get; }

    /// <summary>The <c>x-cache</c> status (meaningless when rejected).</summary>
    public CacheStatus Status { get; }

    /// <summary>True when this caller shared another caller's upstream call.</summary>
    public bool Coalesced { get; }

    /// <summary>The stored answer to render (<see cref="CacheOutcomeKind.Stored"/>).</summary>
    public CachedResponse? Entry { get; }

    /// <summary>The flight to follow (<see cref="CacheOutcomeKind.Live"/>).</summary>
    public Flight? Flight { get; }

    /// <summary>The flight's status line and headers (<see cref="CacheOutcomeKind.Live"/>).</summary>
    public FlightHead? Head { get; }

    /// <summary>Why the request was rejected (<see cref="CacheOutcomeKind.Rejected"/>).</summary>
    public string? Error { get; }

    /// <summary>Why this request was not answered from the cache (MISS, REFRESH, BYPASS, and a failed share); null otherwise.</summary>
    public MissReason? MissReason { get; internal set; }

    /// <summary>Why an expired entry answered (<see cref="CacheStatus.Stale"/>), e.g. <c>upstream 529</c>; null otherwise.</summary>
    public string? StaleReason { get; private init; }

    /// <summary>The HTTP status to answer with.</summary>
    public int StatusCode => Kind switch
    {
        CacheOutcomeKind.Rejected => 400,
        CacheOutcomeKind.Stored => 200,
        _ => Head!.StatusCode,
    };

    /// <summary>The answer rendered in the caller's form (<see cref="CacheOutcomeKind.Stored"/> only).</summary>
    public StoredAnswer Render() => StoredAnswer.Render(Entry ?? throw new InvalidOperationException("Only a stored outcome renders."), Request!.WantsStream);

    /// <summary>The error envelope of a rejected request, with its request id.</summary>
    public (byte[] Body, string RequestId) ErrorEnvelopeBody()
    {
        var requestId = RequestIds.New();
        return (ErrorEnvelope.Create(ErrorTypes.InvalidRequest, Error ?? "Invalid request.", requestId), requestId);
    }

    /// <summary>
    /// The cache's response headers, in one place for every front end: <c>x-cache</c>, the key, the strategy and why;
    /// for an answer the cache gives itself (stored, or shared with a caller in flight) a fresh <c>request-id</c> and
    /// an <c>age</c>. A live leader keeps the upstream's own headers. Empty when rejected.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> CacheHeaders(DateTimeOffset now)
    {
        if (Request is not { } request)
        {
            return [];
        }

        var headers = new List<KeyValuePair<string, string>>(8)
        {
            new(CacheHeaderNames.Status, Status.ToHeader()),
            new(CacheHeaderNames.Key, request.Key.ToHex()),
            new(CacheHeaderNames.Strategy, StrategyNames.ToHeader(request.Policy.Strategy)),
            new(CacheHeaderNames.StrategyReason, request.Policy.Reason),
        };
        if (Coalesced)
        {
            headers.Add(new(CacheHeaderNames.Coalesced, "true"));
        }

        if (MissReason is { } missReason)
        {
            headers.Add(new(CacheHeaderNames.MissReason, missReason.ToHeader()));
        }

        if (StaleReason is { } staleReason)
        {
            headers.Add(new(CacheHeaderNames.StaleReason, staleReason));
        }

        if (Kind == CacheOutcomeKind.Stored)
        {
            var age = Math.Max(0, (long)(now - Entry!.CreatedAt).TotalSeconds);
            headers.Add(new(CacheHeaderNames.RequestId, RequestIds.New()));
            headers.Add(new(CacheHeaderNames.Age, age.ToString(CultureInfo.InvariantCulture)));
        }
        else if (Coalesced && Status != CacheStatus.Miss && Flight?.Head is not { IsCompletedSuccessfully: true, Result.FromCache: true })
        {
            // A share of a call in flight is its own response: a fresh id, and an answer being produced now. A share
            // of a failed call (a MISS) keeps the call's id, the one its error body carries and a user quotes.
            headers.Add(new(CacheHeaderNames.RequestId, RequestIds.New()));
            headers.Add(new(CacheHeaderNames.Age, "0"));
        }

        if (!Coalesced && Flight?.PromptCache is { } call)
        {
            headers.Add(new(CacheHeaderNames.PromptBreakpoints, call.Breakpoints.ToString(CultureInfo.InvariantCulture)));
            if (call.Waited is { } waited)
            {
                headers.Add(new(CacheHeaderNames.PromptWait, ((long)waited.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));
            }
        }

        return headers;
    }

    /// <summary>The request's trace span, ended on dispose (null when untraced).</summary>
    internal System.Diagnostics.Activity? Span { get; set; }

    /// <summary>Records the request in the ledger (once): a stored hit now; a flight when it is judged, without waiting for it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _recorded, 1) != 0)
        {
            return;
        }

        Span?.Dispose();
        if (_ledger is null || Request is null)
        {
            return;
        }

        var latency = _time.GetElapsedTime(_started);
        var reason = StaleReason ?? MissReason?.ToHeader() ?? "";
        if (_fromLookup)
        {
            _ledger.RecordHit(Request, Entry!, latency, reason);
        }
        else if (Flight is not null)
        {
            _ledger.RecordWhenJudged(Request, Flight, _ledgerOutcome, latency, reason);
        }
    }

    internal static CacheOutcome Rejected(string error, TimeProvider time) =>
        new(CacheOutcomeKind.Rejected, null, default, false, null, null, null, error, null, time, 0, default, false);

    internal static CacheOutcome FromLookup(PreparedRequest request, CachedResponse entry, LedgerRecorder? ledger, TimeProvider time, long started) =>
        new(CacheOutcomeKind.Stored, request, CacheStatus.Hit, false, entry, null, null, null, ledger, time, started, LedgerOutcome.Hit, fromLookup: true);

    internal static CacheOutcome FromStale(PreparedRequest request, CachedResponse entry, string reason, LedgerRecorder? ledger, TimeProvider time, long started) =>
        new(CacheOutcomeKind.Stored, request, CacheStatus.Stale, false, entry, null, null, null, ledger, time, started, LedgerOutcome.Hit, fromLookup: true)
        {
            StaleReason = reason,
        };

    internal static CacheOutcome FromFlight(
        PreparedRequest request, CacheStatus status, bool coalesced, Flight flight, FlightHead head, CachedResponse? rendered,
        LedgerOutcome ledgerOutcome, LedgerRecorder? ledger, TimeProvider time, long started) =>
        new(rendered is null ? CacheOutcomeKind.Live : CacheOutcomeKind.Stored, request, status, coalesced, rendered, flight, head, null,
            ledger, time, started, ledgerOutcome, fromLookup: false);
}
