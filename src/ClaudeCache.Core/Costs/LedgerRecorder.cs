using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Policy;
using ClaudeCache.Telemetry;

namespace ClaudeCache.Costs;

/// <summary>
/// Prices each served request and records it in the ledger and the metrics, at one place, so the two always
/// agree. A hit avoids what its upstream call would cost now: the stored usage at today's prices.
/// </summary>
public sealed class LedgerRecorder(SavingsLedger ledger, CostCalculator costs, ClaudeCacheMetrics metrics, TimeProvider time, bool enabled = true)
{
    private int _awaitingJudgement;

    /// <summary>False when accounting is switched off: nothing is priced or recorded.</summary>
    public bool Enabled => enabled;

    /// <summary>The ledger.</summary>
    public SavingsLedger Ledger => ledger;

    /// <summary>The clock entries are stamped (and latencies measured) with.</summary>
    public TimeProvider Time => time;

    /// <summary>
    /// A request answered from a stored entry, or by joining a call in flight (<paramref name="answer"/> is then its
    /// result); <paramref name="reason"/> is its <see cref="LedgerEntry.Reason"/> (a stale answer's reason).
    /// </summary>
    public LedgerEntry RecordHit(PreparedRequest request, CachedResponse answer, TimeSpan latency, string reason = "")
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        if (!enabled)
        {
            return default;
        }

        var (model, usage, cost, _) = Price(request, answer);
        return Record(new LedgerEntry(time.GetUtcNow(), model, StrategyNames.ToHeader(request.Policy.Strategy), request.ContextType, request.Tenant,
            LedgerOutcome.Hit, usage, 0, ToNanos(cost.Total), cost.PriceKnown, latency, Reason: reason) { Request = Facts(request) });
    }

    /// <summary>
    /// A request answered upstream. <paramref name="answer"/> is its complete answer, or null when the upstream
    /// failed (counted as an error: its spend is unknown to the proxy, so none is claimed).
    /// <paramref name="proxyPlacedBreakpoints"/> says the proxy placed the call's <c>cache_control</c> markers: the
    /// entry then carries their measured <see cref="PromptCacheEffect"/>. <paramref name="reason"/> is its
    /// <see cref="LedgerEntry.Reason"/> (its miss reason).
    /// </summary>
    public LedgerEntry RecordUpstream(PreparedRequest request, LedgerOutcome outcome, CachedResponse? answer, TimeSpan latency, bool proxyPlacedBreakpoints = false, string reason = "")
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!enabled)
        {
            return default;
        }

        var strategy = StrategyNames.ToHeader(request.Policy.Strategy);
        if (answer is null)
        {
            return Record(new LedgerEntry(time.GetUtcNow(), request.Model, strategy, request.ContextType, request.Tenant,
                LedgerOutcome.Error, default, 0, 0, PriceKnown: true, latency, Reason: reason) { Request = Facts(request) });
        }

        var (model, usage, cost, context) = Price(request, answer);
        var effect = proxyPlacedBreakpoints && answer.Kind == ResponseKind.Message ? PromptCache(model, usage, cost, context) : default;

        // Filed when the answer was complete (its entry's TTL runs from then), not when it was judged a moment later:
        // the request log's replay (SavingsEstimator) then expires it when the cache does.
        var now = time.GetUtcNow();
        var at = answer.CreatedAt < now ? answer.CreatedAt : now;
        return Record(new LedgerEntry(at, model, strategy, request.ContextType, request.Tenant,
            outcome, usage, ToNanos(cost.Total), 0, cost.PriceKnown, latency, effect, reason) { Request = Facts(request) });
    }

    /// <summary>
    /// Records a request served by <paramref name="flight"/> once the flight is judged, without waiting for it (steps
    /// 9–10 end after the caller has its bytes): a hit when <paramref name="outcome"/> is one (a follower) or the
    /// answer came from the shared cache, an error when there is no answer, else <paramref name="outcome"/>; filed
    /// under <paramref name="reason"/> (<see cref="LedgerEntry.Reason"/>) whatever it turns out to be.
    /// </summary>
    public void RecordWhenJudged(PreparedRequest request, Flight flight, LedgerOutcome outcome, TimeSpan latency, string reason = "")
    {
        ArgumentNullException.ThrowIfNull(request);
        RecordWhenJudged(flight, outcome, (judged, answer) =>
        {
            if (judged == LedgerOutcome.Hit)
            {
                RecordHit(request, answer!, latency, reason);
            }
            else
            {
                RecordUpstream(request, judged, answer, latency, flight.ProxyPlacedBreakpoints, reason);
            }
        });
    }

    /// <summary>
    /// <see cref="RecordWhenJudged(PreparedRequest, Flight, LedgerOutcome, TimeSpan, string)"/> for a front end without a
    /// <see cref="PreparedRequest"/> (the <c>IChatClient</c> middleware), which prices its own answers: once the flight
    /// is judged, <paramref name="record"/> gets this caller's outcome — a hit when <paramref name="outcome"/> is one
    /// or the answer came from the shared cache, an error when there is no answer, else <paramref name="outcome"/> —
    /// and the answer (null for an error).
    /// </summary>
    public void RecordWhenJudged(Flight flight, LedgerOutcome outcome, Action<LedgerOutcome, CachedResponse?> record)
    {
        ArgumentNullException.ThrowIfNull(flight);
        ArgumentNullException.ThrowIfNull(record);
        if (!enabled)
        {
            return;
        }

        Interlocked.Increment(ref _awaitingJudgement);
        _ = flight.Outcome.ContinueWith(
            judged =>
            {
                try
                {
                    if (!judged.IsCompletedSuccessfully)
                    {
                        return;
                    }

                    var answer = judged.Result.Response;
                    var recorded = answer is null ? LedgerOutcome.Error
                        : outcome == LedgerOutcome.Hit || judged.Result.ServedFromCache ? LedgerOutcome.Hit
                        : outcome;
                    record(recorded, answer);
                }
                finally
                {
                    Interlocked.Decrement(ref _awaitingJudgement);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Requests handed to <c>RecordWhenJudged</c> whose flight has not been judged and recorded yet.</summary>
    public int AwaitingJudgement => Volatile.Read(ref _awaitingJudgement);

    /// <summary>
    /// A request served from the cache by a front end that has no <see cref="PreparedRequest"/> or stored Message
    /// (the <c>IChatClient</c> middleware): <paramref name="usage"/> is what its answer used when first produced, on
    /// <paramref name="model"/>, priced at today's prices. Null usage (the answer reported none) is counted as a hit
    /// whose avoided cost is unknown (<see cref="LedgerEntry.PriceKnown"/> false), never as a free one.
    /// </summary>
    public LedgerEntry RecordHit(in LedgerDimensions dimensions, string? model, TokenUsage? usage, TimeSpan latency)
    {
        if (!enabled)
        {
            return default;
        }

        var (resolved, tokens, cost) = Price(model, usage);
        return Record(new LedgerEntry(time.GetUtcNow(), resolved, dimensions.Strategy, dimensions.ContextType, dimensions.Tenant,
            LedgerOutcome.Hit, tokens, 0, ToNanos(cost.Total), cost.PriceKnown, latency));
    }

    /// <summary>
    /// A request answered upstream by a front end that has no <see cref="PreparedRequest"/> (the <c>IChatClient</c>
    /// middleware), priced from the answer's <paramref name="usage"/> on <paramref name="model"/>. An
    /// <see cref="LedgerOutcome.Error"/> spends 0 (unknown, never guessed); an answer that reported no usage is
    /// counted with its cost unknown (<see cref="LedgerEntry.PriceKnown"/> false), never as free.
    /// </summary>
    public LedgerEntry RecordUpstream(in LedgerDimensions dimensions, LedgerOutcome outcome, string? model, TokenUsage? usage, TimeSpan latency)
    {
        if (!enabled)
        {
            return default;
        }

        if (outcome == LedgerOutcome.Error)
        {
            return Record(new LedgerEntry(time.GetUtcNow(), model ?? "", dimensions.Strategy, dimensions.ContextType, dimensions.Tenant,
                LedgerOutcome.Error, default, 0, 0, PriceKnown: true, latency));
        }

        var (resolved, tokens, cost) = Price(model, usage);
        return Record(new LedgerEntry(time.GetUtcNow(), resolved, dimensions.Strategy, dimensions.ContextType, dimensions.Tenant,
            outcome, tokens, ToNanos(cost.Total), 0, cost.PriceKnown, latency));
    }

    /// <summary>Billionths of a dollar, rounded half away from zero: the ledger's exact unit.</summary>
    public static long ToNanos(decimal dollars) => (long)decimal.Round(dollars * 1_000_000_000m, MidpointRounding.AwayFromZero);

    private static RequestFacts Facts(PreparedRequest request) =>
        new(request.Key.ToHex()[..RequestLogRow.KeyLength], request.Policy.Ttl, request.Policy.Lookup, request.Policy.Store);

    private LedgerEntry Record(in LedgerEntry entry)
    {
        if (!enabled)
        {
            return entry;
        }

        // One name for a model in the ledger and the metrics: the price table's prefix it matched. Metrics take
        // nothing else (a bounded label set); the ledger keeps an unpriced model's own id, so a report can say which
        // model lacks a price (the ledger bounds those ids itself).
        var label = costs.LabelOf(entry.Model ?? "");
        ledger.Record(label is null ? entry : entry with { Model = label });
        metrics.Record(entry, label);
        return entry;
    }

    /// <summary>
    /// The effect of the proxy's markers on a call: the same prompt at the plain input rate, less what the call's
    /// prompt cost. Unknown prices claim nothing (the call is still counted as marked).
    /// </summary>
    private PromptCacheEffect PromptCache(string model, TokenUsage usage, RequestCost cost, CostContext context)
    {
        if (!cost.PriceKnown || costs.WithoutPromptCache(model, usage, time.GetUtcNow(), context) is not { } without)
        {
            return new PromptCacheEffect(Marked: true, 0, 0);
        }

        return new PromptCacheEffect(Marked: true, ToNanos(without - cost.InputSide), ToNanos(cost.CacheWrite5m + cost.CacheWrite1h));
    }

    private (string Model, TokenUsage Usage, RequestCost Cost, CostContext Context) Price(PreparedRequest request, CachedResponse answer)
    {
        if (answer.Kind != ResponseKind.Message)
        {
            // count_tokens is free.
            return (request.Model, default, new RequestCost(true, 0, 0, 0, 0, 0), default);
        }

        // One forward read of the stored Message (no document), once per decoded entry: a memoised hot entry
        // is priced from the usage read on its first hit.
        var usage = answer.ReadUsage(out var inferenceGeo);
        var model = string.IsNullOrEmpty(answer.Model) ? request.Model : answer.Model;
        var context = new CostContext(usage.ServiceTier == "batch", inferenceGeo);
        return (model, usage, costs.Calculate(model, usage, time.GetUtcNow(), context), context);
    }

    private (string Model, TokenUsage Usage, RequestCost Cost) Price(string? model, TokenUsage? usage)
    {
        var resolved = model ?? "";
        if (usage is not { } tokens)
        {
            // No usage reported: what it cost is unknown, not zero.
            return (resolved, default, RequestCost.Unknown);
        }

        var context = new CostContext(tokens.ServiceTier == "batch");
        return (resolved, tokens, costs.Calculate(resolved, tokens, time.GetUtcNow(), context));
    }
}
