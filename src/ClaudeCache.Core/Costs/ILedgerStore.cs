namespace ClaudeCache.Costs;

/// <summary>
/// Where the ledger persists (the SQLite file by default, Redis for a fleet). Additions are additive, so several
/// instances can write the same minute's rows.
/// </summary>
public interface ILedgerStore
{
    /// <summary>Adds the rows' counts to the stored ones (creating rows as needed).</summary>
    Task AddAsync(IReadOnlyCollection<LedgerRow> rows, IReadOnlyCollection<LatencyRow> latencies, CancellationToken cancellationToken);

    /// <summary>Rows with <paramref name="fromMinute"/> ≤ minute &lt; <paramref name="toMinute"/>.</summary>
    Task<IReadOnlyList<LedgerRow>> QueryAsync(long fromMinute, long toMinute, CancellationToken cancellationToken);

    /// <summary>Latency rows in the same range.</summary>
    Task<IReadOnlyList<LatencyRow>> QueryLatencyAsync(long fromMinute, long toMinute, CancellationToken cancellationToken);
}
