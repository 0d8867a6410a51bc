namespace ClaudeCache.Costs;

/// <summary>A ledger store in process memory, for the memory-only configuration and for tests.</summary>
public sealed class MemoryLedgerStore : ILedgerStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(long, string, string, string, string, string), LedgerRow> _rows = [];
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
                var key = (row.Minute, row.Model, row.Strategy, row.Context, row.Tenant, row.Outcome);
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
}
