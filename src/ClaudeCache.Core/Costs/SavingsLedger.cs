using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeCache.Costs;

/// <summary>
/// The savings ledger: every request's entry, aggregated by minute and dimension in memory and added to the
/// store in batches (every <c>flushInterval</c>, before every query, and on dispose). Recording is a dictionary
/// update under a lock: nothing on a request's path waits for the store.
/// </summary>
public sealed partial class SavingsLedger : IAsyncDisposable
{
    private readonly ILedgerStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly ITimer _timer;
    private Dictionary<(long, string, string, string, string, string), LedgerRow> _pending = [];
    private Dictionary<(long, string, int), long> _pendingLatency = [];
    private int _disposed;

    /// <summary>Creates a ledger over a store.</summary>
    public SavingsLedger(ILedgerStore store, TimeProvider timeProvider, TimeSpan flushInterval, ILogger<SavingsLedger>? logger = null)
    {
        _store = store;
        _time = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _timer = timeProvider.CreateTimer(_ => _ = FlushQuietlyAsync(), null, flushInterval, flushInterval);
    }

    /// <summary>The store behind the ledger.</summary>
    public ILedgerStore Store => _store;

    /// <summary>Adds one request.</summary>
    public void Record(in LedgerEntry entry)
    {
        var minute = entry.At.ToUnixTimeSeconds() / 60;
        var outcome = LedgerNames.Of(entry.Outcome);
        var key = (minute, entry.Model, entry.Strategy, entry.ContextType, entry.Tenant, outcome);
        var latencyClass = entry.Outcome == LedgerOutcome.Hit ? "hit" : "miss";
        var slot = LatencySlots.Of(entry.Latency);
        var usage = entry.Usage;
        lock (_gate)
        {
            if (!_pending.TryGetValue(key, out var row))
            {
                row = new LedgerRow { Minute = minute, Model = entry.Model, Strategy = entry.Strategy, Context = entry.ContextType, Tenant = entry.Tenant, Outcome = outcome };
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
            var latencyKey = (minute, latencyClass, slot);
            _pendingLatency[latencyKey] = _pendingLatency.GetValueOrDefault(latencyKey) + 1;
        }
    }

    /// <summary>Adds everything recorded so far to the store.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _flushGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Dictionary<(long, string, string, string, string, string), LedgerRow> rows;
            Dictionary<(long, string, int), long> latency;
            lock (_gate)
            {
                if (_pending.Count == 0 && _pendingLatency.Count == 0)
                {
                    return;
                }

                rows = _pending;
                latency = _pendingLatency;
                _pending = [];
                _pendingLatency = [];
            }

            var latencyRows = latency.Select(l => new LatencyRow(l.Key.Item1, l.Key.Item2, l.Key.Item3, l.Value)).ToList();
            try
            {
                await _store.AddAsync(rows.Values, latencyRows, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Put the counts back: nothing recorded is lost because the store hiccupped.
                Requeue(rows.Values, latency);
                throw;
            }
        }
        finally
        {
            _flushGate.Release();
        }
    }

    /// <summary>The rows of a range of minutes, after a flush (what the analytics read).</summary>
    public async Task<(IReadOnlyList<LedgerRow> Rows, IReadOnlyList<LatencyRow> Latency)> QueryAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await FlushQuietlyAsync().ConfigureAwait(false);
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
        await FlushQuietlyAsync().ConfigureAwait(false);
        _flushGate.Dispose();
    }

    private void Requeue(IEnumerable<LedgerRow> rows, Dictionary<(long, string, int), long> latency)
    {
        lock (_gate)
        {
            foreach (var row in rows)
            {
                var key = (row.Minute, row.Model, row.Strategy, row.Context, row.Tenant, row.Outcome);
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
        }
    }

    private async Task FlushQuietlyAsync()
    {
        try
        {
            await FlushAsync().ConfigureAwait(false);
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
    }
}
