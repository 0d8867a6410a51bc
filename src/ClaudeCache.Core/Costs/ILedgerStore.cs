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

    /// <summary>
    /// Applies retention: rows of minutes before <paramref name="foldBeforeMinute"/> (a day boundary) are added into
    /// the row of their day's first minute and removed, so totals over any whole days still add up; rows before
    /// <paramref name="deleteBeforeMinute"/> are deleted. A store that cannot fold safely across instances (Redis)
    /// expires its minutes instead. Safe to repeat.
    /// </summary>
    Task PruneAsync(long foldBeforeMinute, long deleteBeforeMinute, CancellationToken cancellationToken);

    /// <summary>
    /// Appends rows to the request log, each kept at least <paramref name="retention"/>. A store without a request log
    /// ignores them.
    /// </summary>
    Task AddRequestsAsync(IReadOnlyCollection<RequestLogRow> rows, TimeSpan retention, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Request-log rows with <paramref name="fromMs"/> ≤ time &lt; <paramref name="toMs"/> (Unix milliseconds), oldest first.</summary>
    Task<IReadOnlyList<RequestLogRow>> QueryRequestsAsync(long fromMs, long toMs, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RequestLogRow>>([]);

    /// <summary>Deletes request-log rows before <paramref name="beforeMs"/>, then the oldest beyond <paramref name="maxRows"/>. Safe to repeat.</summary>
    Task PruneRequestsAsync(long beforeMs, int maxRows, CancellationToken cancellationToken) => Task.CompletedTask;
}
