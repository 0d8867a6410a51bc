using System.Diagnostics;
using System.Diagnostics.Metrics;
using ClaudeCache.Costs;

namespace ClaudeCache.Telemetry;

/// <summary>
/// The product's one <see cref="Meter"/> ("ClaudeCache"). Instruments are dotted lowercase names; tags are
/// outcome, strategy, model, tier and operation — never a cache key (unbounded cardinality).
/// </summary>
public sealed class ClaudeCacheMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to (OpenTelemetry, dotnet-counters).</summary>
    public const string MeterName = "ClaudeCache";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _storeErrors;
    private readonly Counter<long> _discarded;
    private readonly Counter<long> _oversized;
    private readonly Counter<long> _coalesced;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _avoidedTokens;
    private readonly Counter<double> _cost;
    private readonly Counter<double> _savings;
    private readonly Counter<long> _priceUnknown;
    private readonly Counter<long> _dictionaryRounds;
    private long _storeErrorCount;
    private long _coalescedCount;

    /// <summary>Creates the instruments, through <paramref name="meterFactory"/> when there is one (DI).</summary>
    public ClaudeCacheMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _requests = _meter.CreateCounter<long>("claudecache.requests", "{request}", "Requests by cache outcome");
        _storeErrors = _meter.CreateCounter<long>("claudecache.store.errors", "{error}", "Store operations that failed (served fail-open)");
        _discarded = _meter.CreateCounter<long>("claudecache.entries.discarded", "{entry}", "Stored entries found corrupt or of an unknown format");
        _oversized = _meter.CreateCounter<long>("claudecache.entries.oversized", "{entry}", "Answers too large to store");
        _coalesced = _meter.CreateCounter<long>("claudecache.requests.coalesced", "{request}", "Requests that joined an identical in-flight upstream call");
        _duration = _meter.CreateHistogram<double>("claudecache.request.duration", "s", "Time to serve a request",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60] });
        _tokens = _meter.CreateCounter<long>("claudecache.tokens", "{token}", "Tokens billed upstream, by class");
        _avoidedTokens = _meter.CreateCounter<long>("claudecache.tokens.avoided", "{token}", "Tokens that cache hits did not send upstream, by class");
        _cost = _meter.CreateCounter<double>("claudecache.cost", "USD", "Real spend on upstream calls");
        _savings = _meter.CreateCounter<double>("claudecache.savings", "USD", "Spend avoided by cache hits, at current prices");
        _priceUnknown = _meter.CreateCounter<long>("claudecache.price_unknown", "{request}", "Requests whose model has no price in the table");
        _dictionaryRounds = _meter.CreateCounter<long>("claudecache.dictionary.rounds", "{round}", "Dictionary training rounds, by outcome (adopted, rejected, skipped, failed)");
    }

    /// <summary>Store failures since start (all operations).</summary>
    public long StoreErrors => Interlocked.Read(ref _storeErrorCount);

    /// <summary>Requests that joined an in-flight call since start.</summary>
    public long Coalesced => Interlocked.Read(ref _coalescedCount);

    /// <summary>Counts one request as the ledger records it: outcome, tokens, spend, savings and duration.</summary>
    public void Record(in LedgerEntry entry)
    {
        // Model ids come from callers and the upstream: only ids the price table knows become tag values, so a
        // client cannot grow the metric set without bound (the ledger keeps every id).
        var model = entry.PriceKnown && entry.Outcome != LedgerOutcome.Error ? entry.Model : "other";
        var tags = new TagList { { "outcome", LedgerNames.Of(entry.Outcome) }, { "strategy", entry.Strategy }, { "model", model } };
        _requests.Add(1, tags);
        _duration.Record(entry.Latency.TotalSeconds, tags);
        var usage = entry.Usage;
        if (entry.Outcome == LedgerOutcome.Hit)
        {
            AddTokens(_avoidedTokens, "input", usage.TotalInputTokens, tags);
            AddTokens(_avoidedTokens, "output", usage.OutputTokens, tags);
        }
        else
        {
            AddTokens(_tokens, "input", usage.InputTokens, tags);
            AddTokens(_tokens, "output", usage.OutputTokens, tags);
            AddTokens(_tokens, "cache_write_5m", usage.CacheCreation5m, tags);
            AddTokens(_tokens, "cache_write_1h", usage.CacheCreation1h, tags);
            AddTokens(_tokens, "cache_read", usage.CacheReadInputTokens, tags);
        }

        if (entry.CostNanos != 0)
        {
            _cost.Add(entry.CostNanos / 1e9, tags);
        }

        if (entry.AvoidedNanos != 0)
        {
            _savings.Add(entry.AvoidedNanos / 1e9, tags);
        }

        if (!entry.PriceKnown)
        {
            _priceUnknown.Add(1, tags);
        }
    }

    private static void AddTokens(Counter<long> counter, string tokenClass, long count, TagList tags)
    {
        if (count != 0)
        {
            tags.Add("class", tokenClass);
            counter.Add(count, tags);
        }
    }

    /// <summary>Counts a failed store operation.</summary>
    public void StoreError(string operation)
    {
        Interlocked.Increment(ref _storeErrorCount);
        _storeErrors.Add(1, new KeyValuePair<string, object?>("operation", operation));
    }

    /// <summary>Counts a discarded entry.</summary>
    public void DiscardedEntry(string status) => _discarded.Add(1, new KeyValuePair<string, object?>("status", status));

    /// <summary>Counts an answer too large to store.</summary>
    public void OversizedEntry() => _oversized.Add(1);

    /// <summary>Counts a request that joined an in-flight call.</summary>
    public void CoalescedRequest()
    {
        Interlocked.Increment(ref _coalescedCount);
        _coalesced.Add(1);
    }

    /// <summary>Counts one dictionary training round by its outcome.</summary>
    public void DictionaryRound(string outcome) => _dictionaryRounds.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
