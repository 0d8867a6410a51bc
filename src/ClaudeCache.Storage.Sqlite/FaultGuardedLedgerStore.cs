using ClaudeCache.Costs;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>
/// The ledger store of a SQLite file, behind the tier's WAL index check: the ledger's connections share this
/// process's mapping of the <c>-shm</c> file, so a ledger write after it faulted would crash the process just as
/// a cache write would (see <see cref="SqliteFileGuard"/>). While it has faulted, calls fail with an
/// <see cref="IOException"/>; the savings ledger keeps its counts and retries them on its next flush.
/// </summary>
internal sealed class FaultGuardedLedgerStore : ILedgerStore
{
    private readonly ILedgerStore _inner;
    private readonly Func<StoreFault> _inspect;

    /// <summary>Guards <paramref name="inner"/>; <paramref name="inspect"/> checks the WAL index (the tier's, or a file guard's).</summary>
    internal FaultGuardedLedgerStore(ILedgerStore inner, Func<StoreFault> inspect)
    {
        _inner = inner;
        _inspect = inspect;
    }

    /// <inheritdoc />
    public Task AddAsync(IReadOnlyCollection<LedgerRow> rows, IReadOnlyCollection<LatencyRow> latencies, CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        return _inner.AddAsync(rows, latencies, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LedgerRow>> QueryAsync(long fromMinute, long toMinute, CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        return _inner.QueryAsync(fromMinute, toMinute, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LatencyRow>> QueryLatencyAsync(long fromMinute, long toMinute, CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        return _inner.QueryLatencyAsync(fromMinute, toMinute, cancellationToken);
    }

    /// <inheritdoc />
    public Task PruneAsync(long foldBeforeMinute, long deleteBeforeMinute, CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        return _inner.PruneAsync(foldBeforeMinute, deleteBeforeMinute, cancellationToken);
    }

    /// <inheritdoc />
    public Task AddRequestsAsync(IReadOnlyCollection<RequestLogRow> rows, TimeSpan retention, CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        return _inner.AddRequestsAsync(rows, retention, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<RequestLogRow>> QueryRequestsAsync(long fromMs, long toMs, CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        return _inner.QueryRequestsAsync(fromMs, toMs, cancellationToken);
    }

    /// <inheritdoc />
    public Task PruneRequestsAsync(long beforeMs, int maxRows, CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        return _inner.PruneRequestsAsync(beforeMs, maxRows, cancellationToken);
    }

    /// <summary>The fault the next call would fail on, without touching SQLite.</summary>
    internal StoreFault Inspect() => _inspect();

    private void ThrowIfFaulted()
    {
        var fault = _inspect();
        if (fault != StoreFault.None)
        {
            throw new IOException($"The ledger is not written while the cache database's WAL index has a fault ({fault}).");
        }
    }
}
