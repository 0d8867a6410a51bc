namespace ClaudeCache.Costs;

/// <summary>A ledger store in process memory, for the memory-only configuration and for tests.</summary>
public sealed partial class MemoryLedgerStore : ILedgerStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(long, string, string, string, string, string, string), LedgerRow> _rows = [];
    private readonly Dictionary<(long, string, int), long> _latency = [];

    /// <inheritdoc />
    public Task AddAsync(IReadOnlyCollection<LedgerRow> rows, IReadOnlyCollection<LatencyRow> latencies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(latencies);
        lock (_gate)
        {
            foreach (var row in rows)
            {
                var key = (row.Minute, row.Model, row.Strategy, row.Context, row.Tenant, row.Outcome, row.Reason);
                if (!_rows.TryGetValue(key, out var existing))
                {
                    existing = row.EmptyCopy();
                    _rows[key] = existing;
                }

                existing.Add(row);
            }

            foreach (var latency in latencies)
            {
                var key = (latency.Minute, latency.Class, latency.Slot);
                _latency[key] = _latency.GetValueOrDefault(key) + latency.Count;
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LedgerRow>> QueryAsync(long fromMinute, long toMinute, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<LedgerRow> result = _rows.Values.Where(r => r.Minute >= fromMinute && r.Minute < toMinute)
                .Select(r => { var copy = r.EmptyCopy(); copy.Add(r); return copy; }).ToList();
            return Task.FromResult(result);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LatencyRow>> QueryLatencyAsync(long fromMinute, long toMinute, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<LatencyRow> result = _latency.Where(l => l.Key.Item1 >= fromMinute && l.Key.Item1 < toMinute)
                .Select(l => new LatencyRow(l.Key.Item1, l.Key.Item2, l.Key.Item3, l.Value)).ToList();
            return Task.FromResult(result);
        }
    }

    /// <inheritdoc />
    public Task PruneAsync(long foldBeforeMinute, long deleteBeforeMinute, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var (key, row) in _rows.Where(r => r.Key.Item1 < foldBeforeMinute && r.Key.Item1 % 1440 != 0).ToList())
            {
                _rows.Remove(key);
                var dayKey = (key.Item1 / 1440 * 1440, key.Item2, key.Item3, key.Item4, key.Item5, key.Item6, key.Item7);
                if (!_rows.TryGetValue(dayKey, out var day))
                {
                    day = new LedgerRow { Minute = dayKey.Item1, Model = row.Model, Strategy = row.Strategy, Context = row.Context, Tenant = row.Tenant, Outcome = row.Outcome, Reason = row.Reason };
                    _rows[dayKey] = day;
                }

                day.Add(row);
            }

            foreach (var (key, count) in _latency.Where(l => l.Key.Item1 < foldBeforeMinute && l.Key.Item1 % 1440 != 0).ToList())
            {
                _latency.Remove(key);
                var dayKey = (key.Item1 / 1440 * 1440, key.Item2, key.Item3);
                _latency[dayKey] = _latency.GetValueOrDefault(dayKey) + count;
            }

            foreach (var key in _rows.Keys.Where(k => k.Item1 < deleteBeforeMinute).ToList())
            {
                _rows.Remove(key);
            }

            foreach (var key in _latency.Keys.Where(k => k.Item1 < deleteBeforeMinute).ToList())
            {
                _latency.Remove(key);
            }
        }

        return Task.CompletedTask;
    }
}
