using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using ClaudeCache.Caching;
using ClaudeCache.Costs;

namespace ClaudeCache.Telemetry;

/// <summary>
/// The product's one <see cref="Meter"/> ("ClaudeCache"). Instruments are dotted lowercase names with lower-case
/// units; every tag value comes from a fixed allow-list — outcomes, the five strategies, the price table's model
/// prefixes (anything else is <c>other</c>), token classes, store operations — never a cache key, a context or a
/// model id a client made up, so no client can multiply the series.
/// </summary>
public sealed class ClaudeCacheMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to (OpenTelemetry, dotnet-counters).</summary>
    public const string MeterName = "ClaudeCache";

    /// <summary>The tag value of anything outside an allow-list.</summary>
    public const string Other = "other";

    private static readonly string[] Outcomes = ["hit", "miss", "refresh", "bypass", "error"];
    private static readonly string[] Strategies = ["aggressive", "standard", "conservative", "real-time", "no-cache"];
    private static readonly string[] StoreOperations = ["read", "write", "remove", "statistics", "dictionary", "backplane", "queue_full"];
    private static readonly string[] LedgerDimensions = ["model", "context", "tenant"];
    private static readonly string[] OverloadReasons = ["concurrency", "body_bytes"];

    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _discarded;
    private readonly Counter<long> _oversized;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _avoidedTokens;
    private readonly Counter<double> _cost;
    private readonly Counter<double> _savings;
    private readonly Counter<long> _priceUnknown;
    private readonly Counter<long> _dictionaryRounds;
    private readonly Counter<long> _promptCacheCalls;
    private readonly UpDownCounter<double> _promptCacheSaved;
    private readonly Counter<double> _promptCacheWriteCost;

    // Observed rather than pushed: these series exist from the first scrape, at 0, so rates and alerts work before
    // the first event (a counter only appears once it is first incremented).
    private readonly ConcurrentDictionary<(string Outcome, string Strategy, string Model), StrongBox<long>> _requests = new();
    private readonly ConcurrentDictionary<string, StrongBox<long>> _storeErrors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _folded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _dropped = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _overloaded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _stale = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _missReasons = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _purged = new(StringComparer.Ordinal);
    private long _storeErrorCount;
    private long _coalescedCount;
    private long _revalidations;

    /// <summary>Creates the instruments, through <paramref name="meterFactory"/> when there is one (DI).</summary>
    public ClaudeCacheMetrics(IMeterFactory? meterFactory = null)
    {
        foreach (var outcome in Outcomes)
        {
            foreach (var strategy in Strategies)
            {
                _requests[(outcome, strategy, Other)] = new StrongBox<long>();
            }
        }

        Seed(_storeErrors, StoreOperations);
        Seed(_folded, LedgerDimensions);
        Seed(_dropped, ["row", "latency", "request"]);
        Seed(_overloaded, OverloadReasons);
        Seed(_stale, StaleReasons.All);
        Seed(_missReasons, MissReasonNames.All);
        Seed(_purged, PurgeKinds.All);

        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableCounter("claudecache.requests", () => _requests.Select(r => new Measurement<long>(
            Volatile.Read(ref r.Value.Value), new("outcome", r.Key.Outcome), new("strategy", r.Key.Strategy), new("model", r.Key.Model))), "{request}", "Requests by cache outcome");
        _meter.CreateObservableCounter("claudecache.store.errors", () => Observe(_storeErrors, "operation"), "{error}", "Store operations that failed (served fail-open)");
        _meter.CreateObservableCounter("claudecache.requests.stale", () => Observe(_stale, "reason"), "{request}",
            "Requests answered by an expired entry kept for its grace, by reason (upstream 529, upstream timeout, revalidating, …)");
        _meter.CreateObservableCounter("claudecache.requests.miss_reason", () => Observe(_missReasons, "reason"), "{request}",
            "Requests not answered from the cache, by reason (new, expired, evicted, invalidated, bypass, refresh)");
        _meter.CreateObservableCounter("claudecache.purged.entries", () => Observe(_purged, "kind"), "{entry}",
            "Entries removed by a single delete (kind single) or a bulk purge (kind: the filter it used, or combined)");
        _meter.CreateObservableCounter("claudecache.stale.revalidations", () => Interlocked.Read(ref _revalidations), "{call}",
            "Background calls that refreshed an expired entry served stale-while-revalidate");
        _discarded = _meter.CreateCounter<long>("claudecache.entries.discarded", "{entry}", "Stored entries found corrupt or of an unknown format");
        _oversized = _meter.CreateCounter<long>("claudecache.entries.oversized", "{entry}", "Answers too large to store");
        _meter.CreateObservableCounter("claudecache.requests.coalesced", () => Interlocked.Read(ref _coalescedCount), "{request}", "Requests that joined an identical in-flight upstream call");
        _duration = _meter.CreateHistogram<double>("claudecache.request.duration", "s", "Time to serve a request",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60] });
        _tokens = _meter.CreateCounter<long>("claudecache.tokens", "{token}", "Tokens billed upstream, by class");
        _avoidedTokens = _meter.CreateCounter<long>("claudecache.tokens.avoided", "{token}", "Tokens that cache hits did not send upstream, by class");
        _cost = _meter.CreateCounter<double>("claudecache.cost", "usd", "Real spend on upstream calls, in US dollars");
        _savings = _meter.CreateCounter<double>("claudecache.savings", "usd", "Spend avoided by cache hits at current prices, in US dollars");
        _priceUnknown = _meter.CreateCounter<long>("claudecache.price_unknown", "{request}", "Requests whose model has no price in the table");
        _promptCacheCalls = _meter.CreateCounter<long>("claudecache.prompt_cache.calls", "{call}", "Upstream calls whose cache_control markers the proxy placed");
        // Up and down: a write that is never read costs more than the same prompt without markers.
        _promptCacheSaved = _meter.CreateUpDownCounter<double>("claudecache.prompt_cache.saved", "usd",
            "What the proxy's cache_control markers saved, in US dollars: the calls' prompts at the input price less what they cost; falls when writes are not read");
        _promptCacheWriteCost = _meter.CreateCounter<double>("claudecache.prompt_cache.write_cost", "usd", "What the prompt-cache writes of the proxy's markers cost, in US dollars");
        _dictionaryRounds = _meter.CreateCounter<long>("claudecache.dictionary.rounds", "{round}", "Dictionary training rounds, by outcome (adopted, rejected, skipped, failed)");
        _meter.CreateObservableCounter("claudecache.ledger.folded", () => Observe(_folded, "dimension"), "{value}",
            "Ledger values recorded as 'other' because their dimension had reached its distinct values for the hour");
        _meter.CreateObservableCounter("claudecache.ledger.dropped", () => Observe(_dropped, "kind"), "{row}",
            "Pending ledger rows dropped (oldest first) while the ledger store was unreachable");
        _meter.CreateObservableCounter("claudecache.requests.overloaded", () => Observe(_overloaded, "reason"), "{request}",
            "Requests refused with 503 overloaded_error: too many at once (concurrency) or too many body bytes in flight (body_bytes)");
        _meter.CreateObservableGauge("claudecache.request.body.inflight", () => InFlightBodyBytes?.Invoke() ?? 0, "By",
            "Request body bytes reserved by requests being handled");
        _meter.CreateObservableGauge("claudecache.cache.entries", () => MemoryTier?.Invoke()?.Count ?? 0, "{entry}", "Entries in the memory tier");
        _meter.CreateObservableGauge("claudecache.cache.bytes", () => MemoryTier?.Invoke()?.Bytes ?? 0, "By", "Bytes held by the memory tier");
        _meter.CreateObservableCounter("claudecache.prompt_planner.waits", () => PromptCache?.Invoke()?.ColdPrefixWaits ?? 0, "{call}",
            "Upstream calls that waited for another call writing the same cold prompt prefix, to read it instead");
        _meter.CreateObservableGauge("claudecache.prompt_planner.prefixes", () => PromptCache?.Invoke()?.RememberedPrefixes ?? 0, "{prefix}",
            "Prompt prefixes the breakpoint planner's learning record remembers");
        _meter.CreateObservableGauge("claudecache.prompt_planner.valves_closed", () => PromptCache?.Invoke()?.ClosedValves.Count ?? 0, "{valve}",
            "Tenants and models where the planner stopped writing new prefixes because its markers cost more than they saved");
    }

    /// <summary>The prompt-cache planner whose waits, record and valves the instruments report (set by the host).</summary>
    public Func<PromptCaching.PromptCachePlanner?>? PromptCache { get; set; }

    /// <summary>The memory tier whose entries and bytes the gauges report (set by the host once the cache exists).</summary>
    public Func<MemoryTier?>? MemoryTier { get; set; }

    /// <summary>The request body bytes in flight that the gauge reports (set by the proxy; none in the library).</summary>
    public Func<long>? InFlightBodyBytes { get; set; }

    /// <summary>Requests refused as overloaded since start, by reason (<c>concurrency</c>, <c>body_bytes</c>).</summary>
    public long Overloaded(string reason) => _overloaded.TryGetValue(reason, out var count) ? Volatile.Read(ref count.Value) : 0;

    /// <summary>Store failures since start (all operations).</summary>
    public long StoreErrors => Interlocked.Read(ref _storeErrorCount);

    /// <summary>Requests that joined an in-flight call since start.</summary>
    public long Coalesced => Interlocked.Read(ref _coalescedCount);

    /// <summary>
    /// Counts one request as the ledger records it: outcome, tokens, spend, savings and duration.
    /// <paramref name="modelLabel"/> is the price table's prefix the model matched (<see cref="PriceTable.LabelOf"/>),
    /// or null (the default, for a caller without a price table) for <c>other</c>.
    /// </summary>
    public void Record(in LedgerEntry entry, string? modelLabel = null)
    {
        var outcome = LedgerNames.Of(entry.Outcome);
        var strategy = Array.IndexOf(Strategies, entry.Strategy) >= 0 ? entry.Strategy : Other;
        var model = modelLabel ?? Other;
        Interlocked.Increment(ref _requests.GetOrAdd((outcome, strategy, model), static _ => new StrongBox<long>()).Value);
        var tags = new TagList { { "outcome", outcome }, { "strategy", strategy }, { "model", model } };
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

        if (entry.PromptCache.Marked)
        {
            _promptCacheCalls.Add(1, tags);
            _promptCacheSaved.Add(entry.PromptCache.SavedNanos / 1e9, tags);
            _promptCacheWriteCost.Add(entry.PromptCache.WriteNanos / 1e9, tags);
        }
    }

    /// <summary>Stale answers since start, by <c>x-cache-stale-reason</c> (every reason present, 0 included).</summary>
    public IReadOnlyDictionary<string, long> StaleServedByReason => Snapshot(_stale);

    /// <summary>Requests not answered from the cache since start, by <c>x-cache-miss-reason</c> (every reason present, 0 included).</summary>
    public IReadOnlyDictionary<string, long> MissesByReason => Snapshot(_missReasons);

    /// <summary>Background refreshes started by stale-while-revalidate since start.</summary>
    public long StaleRevalidations => Interlocked.Read(ref _revalidations);

    /// <summary>Entries removed since start, by <see cref="PurgeKinds"/> (every kind present, 0 included).</summary>
    public IReadOnlyDictionary<string, long> PurgedByKind => Snapshot(_purged);

    /// <summary>Counts <paramref name="entries"/> removed by a delete or purge of <paramref name="kind"/> (<see cref="PurgeKinds"/>).</summary>
    public void Purged(string kind, long entries) => Increment(_purged, PurgeKinds.All, kind, entries);

    /// <summary>Counts a stale answer by its reason (<see cref="StaleReasons"/>).</summary>
    public void StaleServed(string reason) => Increment(_stale, StaleReasons.All, reason, 1);

    /// <summary>Counts a background refresh started by stale-while-revalidate.</summary>
    public void StaleRevalidation() => Interlocked.Increment(ref _revalidations);

    /// <summary>Counts a request not answered from the cache by its reason.</summary>
    public void Missed(MissReason reason) => Increment(_missReasons, MissReasonNames.All, reason.ToHeader(), 1);

    /// <summary>Counts a failed store operation.</summary>
    public void StoreError(string operation)
    {
        Interlocked.Increment(ref _storeErrorCount);
        Increment(_storeErrors, StoreOperations, operation, 1);
    }

    /// <summary>Counts a discarded entry.</summary>
    public void DiscardedEntry(string status) => _discarded.Add(1, new KeyValuePair<string, object?>("status", status));

    /// <summary>Counts an answer too large to store.</summary>
    public void OversizedEntry() => _oversized.Add(1);

    /// <summary>Counts a request that joined an in-flight call.</summary>
    public void CoalescedRequest() => Interlocked.Increment(ref _coalescedCount);

    /// <summary>Counts one dictionary training round by its outcome.</summary>
    public void DictionaryRound(string outcome) => _dictionaryRounds.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Counts a ledger value filed as <c>other</c> (model, context or tenant).</summary>
    public void LedgerValueFolded(string dimension) => Increment(_folded, LedgerDimensions, dimension, 1);

    /// <summary>Counts pending ledger rows dropped while the store was unreachable (<c>row</c> or <c>latency</c>).</summary>
    public void LedgerRowsDropped(string kind, long count) => Increment(_dropped, ["row", "latency", "request"], kind, count);

    /// <summary>Counts a request refused as overloaded (<c>concurrency</c> or <c>body_bytes</c>).</summary>
    public void RequestOverloaded(string reason) => Increment(_overloaded, OverloadReasons, reason, 1);

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    private static void Seed(ConcurrentDictionary<string, StrongBox<long>> counts, IEnumerable<string> values)
    {
        foreach (var value in values)
        {
            counts[value] = new StrongBox<long>();
        }
    }

    private static void Increment(ConcurrentDictionary<string, StrongBox<long>> counts, IReadOnlyList<string> allowed, string value, long by)
    {
        var key = allowed.Contains(value) ? value : Other;
        Interlocked.Add(ref counts.GetOrAdd(key, static _ => new StrongBox<long>()).Value, by);
    }

    private static Dictionary<string, long> Snapshot(ConcurrentDictionary<string, StrongBox<long>> counts) =>
        counts.ToDictionary(c => c.Key, c => Volatile.Read(ref c.Value.Value), StringComparer.Ordinal);

    private static IEnumerable<Measurement<long>> Observe(ConcurrentDictionary<string, StrongBox<long>> counts, string tag) =>
        counts.Select(c => new Measurement<long>(Volatile.Read(ref c.Value.Value), new KeyValuePair<string, object?>(tag, c.Key)));

    private static void AddTokens(Counter<long> counter, string tokenClass, long count, TagList tags)
    {
        if (count != 0)
        {
            tags.Add("class", tokenClass);
            counter.Add(count, tags);
        }
    }
}
