namespace ClaudeCache.Costs;

public sealed partial class MemoryLedgerStore
{
    // Appended in flush order; kept sorted by time on read (flushes from one process arrive nearly in order).
    private readonly List<RequestLogRow> _requests = [];

    /// <inheritdoc />
    public Task AddRequestsAsync(IReadOnlyCollection<RequestLogRow> rows, TimeSpan retention, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        lock (_gate)
        {
            _requests.AddRange(rows);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<RequestLogRow>> QueryRequestsAsync(long fromMs, long toMs, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<RequestLogRow> result = _requests.Where(r => r.AtMs >= fromMs && r.AtMs < toMs).OrderBy(r => r.AtMs).ToList();
            return Task.FromResult(result);
        }
    }

    /// <inheritdoc />
    public Task PruneRequestsAsync(long beforeMs, int maxRows, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _requests.RemoveAll(r => r.AtMs < beforeMs);
            if (_requests.Count > maxRows)
            {
                _requests.Sort((a, b) => a.AtMs.CompareTo(b.AtMs));
                _requests.RemoveRange(0, _requests.Count - maxRows);
            }
        }

        return Task.CompletedTask;
    }
}
