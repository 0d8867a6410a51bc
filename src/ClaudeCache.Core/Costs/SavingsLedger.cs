using ClaudeCache.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeCache.Costs;

/// <summary>
/// The savings ledger: every request's entry, aggregated by minute and dimension in memory and added to the
/// store in batches (every <c>flushInterval</c>, before every query, and on dispose). Recording is a dictionary
/// update under a lock: nothing on a request's path waits for the store.
/// </summary>
/// <remarks>
/// Everything a client controls is bounded here, once, before it reaches any store (<see cref="LedgerLimits"/>):
/// values are cut to a length, each client-controlled dimension takes a limited number of distinct values per hour
/// (the rest are filed as <c>other</c>), rows older than the retention are folded into days and then deleted, and
/// the rows held while the store is down are capped (oldest dropped).
/// </remarks>
public sealed partial class SavingsLedger : IAsyncDisposable
{
    private static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);

    private readonly ILedgerStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LedgerLimits _limits;
    private readonly ClaudeCacheMetrics? _metrics;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly ITimer _timer;
    private readonly HashSet<string> _models = new(StringComparer.Ordinal);
    private readonly HashSet<string> _contexts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _tenants = new(StringComparer.Ordinal);
    private Dictionary<(long, string, string, string, string, string, string), LedgerRow> _pending = [];
    private Dictionary<(long, string, int), long> _pendingLatency = [];
    private long _distinctHour = long.MinValue;
    private long _lastPruneTicks = long.MinValue;
    private int _droppedLogged;
    private int _disposed;

    /// <summary>Creates a ledger over a store.</summary>
    /// <param name="store">Where the rows are added.</param>
    /// <param name="timeProvider">The clock of the flush timer and of retention.</param>
    /// <param name="flushInterval">How often counts are added to the store.</param>
    /// <param name="logger">Where flush failures and dropped rows are logged.</param>
    /// <param name="limits">Bounds on values, distinct values, retention and pending rows; <see cref="LedgerLimits.Default"/> when null.</param>
    /// <param name="metrics">Where folded values and dropped rows are counted, or null.</param>
    public SavingsLedger(ILedgerStore store, TimeProvider timeProvider, TimeSpan flushInterval, ILogger<SavingsLedger>? logger = null, LedgerLimits? limits = null, ClaudeCacheMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _store = store;
        _time = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _limits = limits ?? LedgerLimits.Default;
        _metrics = metrics;
        _timer = timeProvider.CreateTimer(_ => _ = FlushQuietlyAsync(prune: true), null, flushInterval, flushInterval);
    }

    /// <summary>The store behind the ledger.</summary>
    public ILedgerStore Store => _store;

    /// <summary>The bounds this ledger applies.</summary>
    public LedgerLimits Limits => _limits;

    /// <summary>Rows (of both kinds) waiting to be added to the store.</summary>
    public int PendingRows
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count + _pendingLatency.Count;
            }
        }
    }

    /// <summary>Adds one request.</summary>
    public void Record(in LedgerEntry entry)
    {
        var minute = entry.At.ToUnixTimeSeconds() / 60;
        var outcome = LedgerNames.Of(entry.Outcome);
        var latencyClass = entry.Outcome == LedgerOutcome.Hit ? "hit" : "miss";
        var slot = LatencySlots.Of(entry.Latency);
        var usage = entry.Usage;
        var strategy = Clean(entry.Strategy);
        lock (_gate)
        {
            var hour = minute / 60;
            if (hour > _distinctHour)
            {
                // A new hour: every dimension may take new values again.
                _distinctHour = hour;
                _models.Clear();
                _contexts.Clear();
                _tenants.Clear();
            }

            var model = Admit(_models, "model", entry.Model);
            var context = Admit(_contexts, "context", entry.ContextType);
            var tenant = Admit(_tenants, "tenant", entry.Tenant);
            LogRequest(entry, model, strategy, context, tenant, outcome);
            var reason = entry.Reason ?? "";
            var key = (minute, model, strategy, context, tenant, outcome, reason);
            if (!_pending.TryGetValue(key, out var row))
            {
                if (_pending.Count >= _limits.MaxPendingRows)
                {
                    DropOldestRows(_pending.Count - _limits.MaxPendingRows + 1);
                }

                row = new LedgerRow { Minute = minute, Model = model, Strategy = strategy, Context = context, Tenant = tenant, Outcome = outcome, Reason = reason };
                _pending[key] = row;
            }

            row.Requests++;
            row.PriceUnknown += entry.PriceKnown ? 0 : 1;
            if (entry.Outcome == LedgerOutcome.Hit)
            {
                row.AvoidedInputTokens += usage.TotalInputTokens;
                row.AvoidedOutputTokens += usage.OutputTokens;
            }
            else
            {
                row.InputTokens += usage.InputTokens;
                row.OutputTokens += usage.OutputTokens;
                row.CacheWrite5mTokens += usage.CacheCreation5m;
                row.CacheWrite1hTokens += usage.CacheCreation1h;
                row.CacheReadTokens += usage.CacheReadInputTokens;
            }

            row.CostNanos += entry.CostNanos;
            row.AvoidedNanos += entry.AvoidedNanos;
            row.LatencyMicros += (long)(entry.Latency.Ticks / 10);
            if (entry.PromptCache.Marked)
            {
                row.PromptCacheCalls++;
                row.PromptCacheSavedNanos += entry.PromptCache.SavedNanos;
                row.PromptCacheWriteNanos += entry.PromptCache.WriteNanos;
            }
            var latencyKey = (minute, latencyClass, slot);
            if (!_pendingLatency.ContainsKey(latencyKey) && _pendingLatency.Count >= _limits.MaxPendingRows)
            {
                DropOldestLatency(_pendingLatency.Count - _limits.MaxPendingRows + 1);
            }

            _pendingLatency[latencyKey] = _pendingLatency.GetValueOrDefault(latencyKey) + 1;
        }
    }

    /// <summary>Adds everything recorded so far to the store.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _flushGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Dictionary<(long, string, string, string, string, string, string), LedgerRow> rows;
            Dictionary<(long, string, int), long> latency;
            List<RequestLogRow> requests;
            lock (_gate)
            {
                if (_pending.Count == 0 && _pendingLatency.Count == 0 && _pendingRequests.Count == 0)
                {
                    return;
                }

                rows = _pending;
                latency = _pendingLatency;
                requests = _pendingRequests;
                _pending = [];
                _pendingLatency = [];
                _pendingRequests = [];
            }

            var latencyRows = latency.Select(l => new LatencyRow(l.Key.Item1, l.Key.Item2, l.Key.Item3, l.Value)).ToList();
            try
            {
                await _store.AddAsync(rows.Values, latencyRows, cancellationToken).ConfigureAwait(false);
                // The store answers again: the next outage is logged again.
                Volatile.Write(ref _droppedLogged, 0);
            }
            catch
            {
                // Put the counts back: nothing recorded is lost because the store hiccupped (within MaxPendingRows).
                Requeue(rows.Values, latency);
                RequeueRequests(requests);
                throw;
            }

            await FlushRequestsAsync(requests, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _flushGate.Release();
        }
    }

    /// <summary>
    /// Applies the retention now: minutes older than <see cref="LedgerLimits.MinuteRetention"/> are folded into days,
    /// days older than <see cref="LedgerLimits.DayRetention"/> deleted. The flush timer does this once an hour.
    /// </summary>
    public async Task PruneAsync(CancellationToken cancellationToken = default)
    {
        var nowMinute = _time.GetUtcNow().ToUnixTimeSeconds() / 60;
        // Day boundaries, so a day is folded whole (or not at all) and a report over whole days adds up.
        var foldBefore = DayStart(nowMinute - (long)_limits.MinuteRetention.TotalMinutes);
        var deleteBefore = DayStart(nowMinute - (long)_limits.DayRetention.TotalMinutes);
        await _store.PruneAsync(foldBefore, deleteBefore, cancellationToken).ConfigureAwait(false);
        await PruneRequestsAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _lastPruneTicks, _time.GetTimestamp());
    }

    /// <summary>The rows of a range of minutes, after a flush (what the analytics read).</summary>
    public async Task<(IReadOnlyList<LedgerRow> Rows, IReadOnlyList<LatencyRow> Latency)> QueryAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await FlushQuietlyAsync(prune: false).ConfigureAwait(false);
        var fromMinute = from.ToUnixTimeSeconds() / 60;
        // The minute that holds `to` is included: the current minute is live data.
        var toMinute = (to.ToUnixTimeSeconds() / 60) + 1;
        var rows = await _store.QueryAsync(fromMinute, toMinute, cancellationToken).ConfigureAwait(false);
        var latency = await _store.QueryLatencyAsync(fromMinute, toMinute, cancellationToken).ConfigureAwait(false);
        return (rows, latency);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Idempotent: a ledger may be disposed both with its cache and by a DI container.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _timer.DisposeAsync().ConfigureAwait(false);
        await FlushQuietlyAsync(prune: false).ConfigureAwait(false);
        _flushGate.Dispose();
    }

    private static long DayStart(long minute) => minute < 0 ? 0 : minute / 1440 * 1440;

    // Strategy names come from code, but a front end may pass any string: cut and cleaned like the others.
    private string Clean(string? value)
    {
        value ??= "";
        var cut = value.Length > _limits.MaxValueLength ? value[.._limits.MaxValueLength] : value;
        // Control characters (the Redis store's field separator among them) never reach a store or a report.
        return cut.AsSpan().ContainsAnyInRange('\u0000', '\u001f') || cut.Contains('\u007f', StringComparison.Ordinal)
            ? string.Create(cut.Length, cut, static (span, source) =>
            {
                for (var i = 0; i < source.Length; i++)
                {
                    span[i] = char.IsControl(source[i]) ? '_' : source[i];
                }
            })
            : cut;
    }

    private string Admit(HashSet<string> seen, string dimension, string? raw)
    {
        var value = Clean(raw);
        if (seen.Contains(value))
        {
            return value;
        }

        if (seen.Count < _limits.MaxDistinctValuesPerHour)
        {
            seen.Add(value);
            return value;
        }

        _metrics?.LedgerValueFolded(dimension);
        return LedgerLimits.Other;
    }

    private void DropOldestRows(int count)
    {
        foreach (var key in _pending.Keys.OrderBy(k => k.Item1).Take(count).ToList())
        {
            _pending.Remove(key);
        }

        Dropped("row", count);
    }

    private void DropOldestLatency(int count)
    {
        foreach (var key in _pendingLatency.Keys.OrderBy(k => k.Item1).Take(count).ToList())
        {
            _pendingLatency.Remove(key);
        }

        Dropped("latency", count);
    }

    private void Dropped(string kind, int count)
    {
        _metrics?.LedgerRowsDropped(kind, count);
        var bit = kind switch { "row" => 1, "latency" => 2, _ => 4 };
        if ((Interlocked.Or(ref _droppedLogged, bit) & bit) == 0)
        {
            Log.RowsDropped(_logger, kind, kind == "request" ? MaxPendingRequests : _limits.MaxPendingRows);
        }
    }

    private void Requeue(IEnumerable<LedgerRow> rows, Dictionary<(long, string, int), long> latency)
    {
        lock (_gate)
        {
            foreach (var row in rows)
            {
                var key = (row.Minute, row.Model, row.Strategy, row.Context, row.Tenant, row.Outcome, row.Reason);
                if (!_pending.TryGetValue(key, out var existing))
                {
                    existing = row.EmptyCopy();
                    _pending[key] = existing;
                }

                existing.Add(row);
            }

            foreach (var (key, count) in latency)
            {
                _pendingLatency[key] = _pendingLatency.GetValueOrDefault(key) + count;
            }

            // While the store is down, what is held is capped: the newest minutes are worth more than the oldest.
            if (_pending.Count > _limits.MaxPendingRows)
            {
                DropOldestRows(_pending.Count - _limits.MaxPendingRows);
            }

            if (_pendingLatency.Count > _limits.MaxPendingRows)
            {
                DropOldestLatency(_pendingLatency.Count - _limits.MaxPendingRows);
            }
        }
    }

    private async Task FlushQuietlyAsync(bool prune)
    {
        try
        {
            await FlushAsync().ConfigureAwait(false);
            var last = Interlocked.Read(ref _lastPruneTicks);
            if (prune && (last == long.MinValue || _time.GetElapsedTime(last) >= PruneInterval))
            {
                await PruneAsync().ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // A ledger store failure must not fail a request or a timer; counts stay pending.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.FlushFailed(_logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Ledger flush failed; the counts stay pending and are retried")]
        public static partial void FlushFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Pending {Kind} rows reached {Max} (the ledger store is unreachable, or slower than the traffic): the oldest are dropped (counted in claudecache.ledger.dropped; logged once until the store answers)")]
        public static partial void RowsDropped(ILogger logger, string kind, int max);
    }
}
