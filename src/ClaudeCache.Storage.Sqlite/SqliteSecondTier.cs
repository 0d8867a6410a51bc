using System.Diagnostics;
using ClaudeCache.Caching;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>
/// The embedded second tier: encoded entries in one SQLite file, in WAL mode so that reads never wait for writes.
/// </summary>
/// <remarks>
/// <para>
/// <b>Opening.</b> The constructor does no I/O: the file is opened, created or checked on the first operation,
/// and retried by the next one if that failed. A missing directory, an unwritable or damaged file ("file is not
/// a database") or a schema written by a newer build therefore never crashes the process at start-up; it
/// surfaces as an exception from the operations, which the response cache counts and treats as a miss
/// (fail-open).
/// </para>
/// <para>
/// <b>Failures.</b> Every I/O failure (locked beyond <see cref="SqliteStoreOptions.BusyTimeout"/>, read-only file,
/// damaged file, full disk) propagates as a <see cref="SqliteException"/> from the async methods; nothing is
/// swallowed here. Only the background work (timer cleanup, access-time batches) logs its failures, since it has
/// no caller to throw to.
/// </para>
/// <para>
/// <b>Reads.</b> A hit is one prepared point lookup on a pooled connection. It does not write the access time:
/// reads note it in memory, at most once a minute per key, and the notes are written in one transaction before
/// each cleanup (the only reader of access times), when a thousand have piled up, and on dispose. A process that
/// dies loses at most those notes, which only makes eviction slightly less exact.
/// </para>
/// <para>
/// <b>File faults.</b> Before each operation the store checks the files (see <see cref="SqliteFileGuard"/>): a
/// <c>-shm</c> that cannot be written or was truncated would make SQLite's next access of its memory-mapped WAL
/// index raise SIGBUS and kill the process, so the operation fails with an <see cref="IOException"/> instead,
/// without touching SQLite, until the file is writable again (truncation lasts until restart: this process's
/// mapping cannot be repaired). A database file deleted or replaced while open would silently take every later
/// write with it; the operation that notices fails, the store closes its connections and re-creates the file on the
/// next one. Each fault is logged once when it starts and once when it ends; each failed operation is counted by
/// the response cache as a store error.
/// </para>
/// <para>
/// <b>Writes</b> are serialised in-process by one lock, so concurrent writers queue in memory instead of in
/// SQLite's busy handler, which sleeps in steps of up to 100 ms. Writers in other processes still wait up to
/// <see cref="SqliteStoreOptions.BusyTimeout"/>.
/// </para>
/// <para>
/// <b>Size cap.</b> <see cref="CleanupAsync"/> deletes rows past their keep time, then evicts rows until the stored
/// payloads total at most <see cref="SqliteStoreOptions.MaxBytes"/>: rows past their TTL (kept for their grace,
/// docs/serve-stale.md) first, then the least recently accessed. Each row it deletes leaves a tombstone (why the next
/// request misses: expired or evicted) for <see cref="SqliteStoreOptions.TombstoneTimeToLive"/>. It runs every
/// <see cref="SqliteStoreOptions.CleanupInterval"/>, and early in the background when writes overshoot the cap by
/// more than a tenth (the slack keeps a store sitting at its cap from cleaning after every write).
/// </para>
/// <para>
/// Microsoft.Data.Sqlite has no asynchronous I/O (its async methods complete synchronously), so the async methods
/// here run their SQL synchronously on the caller's thread; only waiting for the write lock is truly asynchronous.
/// </para>
/// </remarks>
public sealed partial class SqliteSecondTier : ISecondTier, ITombstoneStore, ITierStatistics, IDictionaryStore, IAsyncDisposable
{
    private readonly SqliteStoreOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly SqliteConnectionPool _pool;
    private readonly SqliteFileGuard _guard;
    private readonly Lock _recovery = new();
    private readonly AccessTracker _access = new();
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private readonly ITimer? _cleanupTimer;
    private readonly long _writeTriggerBytes;

    private volatile bool _initialized;
    private volatile bool _disposed;
    private long _approximateTotalBytes;
    private int _cleanupScheduled;
    private int _flushScheduled;
    private int _walIndexFault;
    private int _heldElsewhereLogged;
    private Task _backgroundCleanup = Task.CompletedTask;
    private Task _backgroundFlush = Task.CompletedTask;

    /// <summary>Creates the tier. Does not touch the file; see the remarks on the type for when failures surface.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public SqliteSecondTier(SqliteStoreOptions options, TimeProvider timeProvider, ILogger<SqliteSecondTier>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        options.Validate();

        _options = options;
        _timeProvider = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _guard = new SqliteFileGuard(options.Path, options.Exclusive);
        _pool = new SqliteConnectionPool(options.Path, _guard, options.BusyTimeout, options.Exclusive, () => InspectWalIndex() != StoreFault.None);
        _writeTriggerBytes = options.MaxBytes + (options.MaxBytes / 10);
        if (options.CleanupInterval != Timeout.InfiniteTimeSpan)
        {
            _cleanupTimer = timeProvider.CreateTimer(
                static state => ((SqliteSecondTier)state!).ScheduleCleanup(offload: false),
                this,
                options.CleanupInterval,
                options.CleanupInterval);
        }
    }

    /// <summary>The latest background cleanup (timer or cap overshoot), for tests to await.</summary>
    internal Task BackgroundCleanup => Volatile.Read(ref _backgroundCleanup);

    /// <summary>The latest background flush of access times, for tests to await.</summary>
    internal Task BackgroundFlush => Volatile.Read(ref _backgroundFlush);

    /// <inheritdoc />
    public async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);

        var now = Now();
        var connection = Rent();
        byte[]? payload;
        long lastAccess;
        try
        {
            (payload, lastAccess) = SqliteOperations.Read(connection, key, now);
        }
        catch
        {
            _pool.Return(connection, healthy: false);
            throw;
        }

        _pool.Return(connection);
        if (payload is not null && AccessTracker.IsStale(lastAccess, now) && _access.Record(key, now))
        {
            ScheduleAccessFlush();
        }

        return payload;
    }

    /// <inheritdoc />
    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        SetAsync(key, payload, expiresAt, expiresAt, cancellationToken);

    /// <inheritdoc />
    public async ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, DateTimeOffset keepUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var blob = SqliteOperations.AsArray(payload);
        var fresh = expiresAt.ToUnixTimeMilliseconds();
        var keep = Math.Max(fresh, keepUntil.ToUnixTimeMilliseconds());
        await WriteAsync(connection => SqliteOperations.Upsert(connection, key, blob, fresh, keep, Now()), cancellationToken).ConfigureAwait(false);
        NoteWritten(blob.Length);
    }

    /// <summary>Counts written bytes toward the cap; a write that overshoots it by a tenth starts a cleanup.</summary>
    private void NoteWritten(int bytes)
    {
        if (Interlocked.Add(ref _approximateTotalBytes, bytes) > _writeTriggerBytes)
        {
            ScheduleCleanup(offload: true);
        }
    }

    /// <inheritdoc />
    public async ValueTask RemoveAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await WriteAsync(
            connection => SqliteOperations.Remove(connection, key),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask SetTombstoneAsync(string key, MissReason reason, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var expires = until.ToUnixTimeMilliseconds();
        await WriteAsync(connection => SqliteOperations.SetTombstone(connection.Connection, key, reason.ToHeader(), expires), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<MissReason?> GetTombstoneAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var now = Now();
        var name = Use(connection => SqliteOperations.GetTombstone(connection.Connection, key, now));
        return MissReasonNames.TryParse(name, out var reason) ? reason : null;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StoredDictionary>> LoadDictionariesAsync(CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return Use(static connection => SqliteOperations.ReadDictionaries(connection.Connection, id: null));
    }

    /// <inheritdoc />
    public async ValueTask<StoredDictionary?> GetDictionaryAsync(uint id, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return Use(connection => SqliteOperations.ReadDictionaries(connection.Connection, id)).SingleOrDefault();
    }

    /// <inheritdoc />
    public async ValueTask SaveDictionaryAsync(StoredDictionary dictionary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        await WriteAsync(connection => SqliteOperations.SaveDictionary(connection.Connection, dictionary), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryClaimTrainingAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var now = _timeProvider.GetUtcNow();
        return await WriteAsync(
            connection => SqliteOperations.ClaimTraining(connection.Connection, owner, now.ToUnixTimeMilliseconds(), (now + lease).ToUnixTimeMilliseconds()),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask RemoveDictionaryAsync(uint id, CancellationToken cancellationToken) =>
        await WriteAsync(connection => SqliteOperations.RemoveDictionary(connection.Connection, id), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Deletes expired entries, then evicts the least recently accessed ones until the stored payloads total at most
    /// <see cref="SqliteStoreOptions.MaxBytes"/>. Runs on a timer too; calling it directly is for tools and tests.
    /// </summary>
    /// <returns>The number of entries removed, expired and evicted together.</returns>
    public async Task<int> CleanupAsync(CancellationToken cancellationToken)
    {
        return await WriteAsync(Cleanup, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Counts the stored entries and their bytes (expired entries not yet cleaned up included).</summary>
    public async Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return Use(static connection => SqliteOperations.Statistics(connection.Connection));
    }

    /// <summary>
    /// Stops the cleanup timer, waits for background work, writes pending access times (best effort) and closes
    /// the file.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_cleanupTimer is not null)
        {
            await _cleanupTimer.DisposeAsync().ConfigureAwait(false);
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(BackgroundCleanup, BackgroundFlush).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        await _writeLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_initialized && _access.Count > 0)
            {
                TryFlushAccess();
            }

            _pool.Dispose();
        }
        finally
        {
            _writeLock.Release();
        }

        _disposing.Dispose();
        _initLock.Dispose();
        _writeLock.Dispose();
    }

    private int Cleanup(PooledConnection pooled)
    {
        // Real elapsed time, not the TimeProvider's: this measures the work, it decides nothing.
        var started = Stopwatch.GetTimestamp();

        // Eviction orders by access time, so the noted accesses must be in the table first.
        SqliteOperations.FlushAccess(pooled, _access.Drain());
        var now = Now();
        var (expired, evicted, total) = SqliteOperations.Cleanup(pooled.Connection, now, _options.MaxBytes, now + (long)_options.TombstoneTimeToLive.TotalMilliseconds);
        Interlocked.Exchange(ref _approximateTotalBytes, total);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var elapsedMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Log.CleanupCompleted(_logger, expired, evicted, elapsedMs, total);
        }

        return expired + evicted;
    }

    private void TryFlushAccess()
    {
        var count = _access.Count;
        try
        {
            Use(pooled =>
            {
                SqliteOperations.FlushAccess(pooled, _access.Drain());
                return 0;
            });
        }
        catch (Exception exception) when (exception is SqliteException or IOException)
        {
            Log.AccessFlushFailed(_logger, count, exception);
        }
    }

    private void ScheduleCleanup(bool offload)
    {
        if (_disposed || Interlocked.CompareExchange(ref _cleanupScheduled, 1, 0) != 0)
        {
            return;
        }

        // The timer already runs on a pool thread; a write that overshoots the cap must not pay for the cleanup.
        var task = offload ? Task.Run(RunBackgroundCleanupAsync) : RunBackgroundCleanupAsync();
        Volatile.Write(ref _backgroundCleanup, task);
    }

    private async Task RunBackgroundCleanupAsync()
    {
        try
        {
            await CleanupAsync(_disposing.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException && _disposed)
        {
            // Disposal raced the timer: nothing to report.
        }
        catch (Exception exception) when (exception is SqliteException or InvalidOperationException or IOException)
        {
            Log.CleanupFailed(_logger, exception);
        }
        finally
        {
            Volatile.Write(ref _cleanupScheduled, 0);
        }
    }

    private void ScheduleAccessFlush()
    {
        if (_disposed || Interlocked.CompareExchange(ref _flushScheduled, 1, 0) != 0)
        {
            return;
        }

        Volatile.Write(ref _backgroundFlush, Task.Run(async () =>
        {
            try
            {
                await _writeLock.WaitAsync(_disposing.Token).ConfigureAwait(false);
                try
                {
                    TryFlushAccess();
                }
                finally
                {
                    _writeLock.Release();
                }
            }
            catch (OperationCanceledException) when (_disposed)
            {
                // Dispose flushes what is left.
            }
            finally
            {
                Volatile.Write(ref _flushScheduled, 0);
            }
        }));
    }

    private async Task<T> WriteAsync<T>(Func<PooledConnection, T> work, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Use(work);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private T Use<T>(Func<PooledConnection, T> work)
    {
        var connection = Rent();
        T result;
        try
        {
            result = work(connection);
        }
        catch
        {
            _pool.Return(connection, healthy: false);
            throw;
        }

        _pool.Return(connection);
        return result;
    }

    private ValueTask EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        return _initialized ? ValueTask.CompletedTask : InitializeAsync(cancellationToken);
    }

    private async ValueTask InitializeAsync(CancellationToken cancellationToken)
    {
        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_initialized)
            {
                try
                {
                    Use(connection =>
                    {
                        SqliteSchema.Ensure(connection.Connection, _options.Path, _logger);
                        _approximateTotalBytes = SqliteSchema.ScalarInt64(connection.Connection, SqliteSchema.TotalBytes);
                        return 0;
                    });
                }
                catch (Exception exception) when (SqliteDataSource.IsLocked(exception))
                {
                    // Readers never wait in WAL mode: a lock that outlasts the busy timeout at open is a process holding
                    // the file for itself (SqliteExclusive). Said once, then every operation fails with the same words.
                    if (Interlocked.Exchange(ref _heldElsewhereLogged, 1) == 0)
                    {
                        Log.HeldByAnotherProcess(_logger, _options.Path);
                    }

                    throw new IOException(SqliteDataSource.HeldElsewhere(_options.Path), exception);
                }

                _initialized = true;
            }
        }
        finally
        {
            _initLock.Release();
        }
    }

    private long Now() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The current fault of the files, without acting on it; the ledger store on the same file asks too.</summary>
    internal StoreFault InspectWalIndex() => _guard.InspectWalIndex();

    /// <summary>
    /// A connection that is safe to use: the WAL index is checked first (a fault there must not reach SQLite), then
    /// the connection's file (deleted or replaced).
    /// </summary>
    private PooledConnection Rent()
    {
        ThrowIfWalIndexFaulted();
        while (true)
        {
            var connection = _pool.Rent();
            bool moved;
            try
            {
                moved = SqliteNative.HasMoved(connection.Connection);
            }
            catch
            {
                _pool.Return(connection, healthy: false);
                throw;
            }

            if (!moved)
            {
                return connection;
            }

            _pool.Return(connection, healthy: false);
            if (connection.Generation == _pool.Generation)
            {
                RecoverFromMovedDatabase(connection.Generation);
            }

            // Otherwise an idle connection of before a recovery: the next one is on the new file.
        }
    }

    /// <summary>Throws while the WAL index has faulted; logs when a fault starts and when it ends.</summary>
    private void ThrowIfWalIndexFaulted()
    {
        var fault = InspectWalIndex();
        var previous = (StoreFault)Interlocked.Exchange(ref _walIndexFault, (int)fault);
        if (fault == StoreFault.None)
        {
            if (previous != StoreFault.None)
            {
                Log.FileFaultEnded(_logger, previous, _guard.WalIndexPath);
            }

            return;
        }

        if (previous != fault)
        {
            Log.WalIndexFaulted(_logger, fault, _guard.WalIndexPath);
        }

        throw new IOException(fault == StoreFault.WalIndexTruncated
            ? $"The WAL index '{_guard.WalIndexPath}' was truncated under this process's mapping; the cache store is off until restart."
            : $"The WAL index '{_guard.WalIndexPath}' cannot be written; the cache store is off until it can.");
    }

    /// <summary>
    /// The database file was deleted or replaced: closes every connection on the old file (the ledger's pooled ones
    /// too), removes the old file's WAL and index when nothing replaced it, so that the new file does not replay
    /// them, and throws so that the operation is counted as failed. The next operation creates the file again.
    /// </summary>
    private void RecoverFromMovedDatabase(int generation)
    {
        lock (_recovery)
        {
            if (generation != _pool.Generation)
            {
                return; // another thread recovered already
            }

            Log.DatabaseMoved(_logger, _options.Path);
            _initialized = false;
            _pool.Recycle();
            SqliteConnection.ClearAllPools();
            // SQLite does not checkpoint or delete the WAL of a moved file when closing, and a new file at the path
            // would replay it as its own: remove it, unless another process is already using the new file.
            if (!_guard.WalIndexInUseElsewhere())
            {
                TryDelete(_options.Path + "-wal");
                TryDelete(_guard.WalIndexPath);
            }
        }

        throw new IOException($"The cache database '{_options.Path}' was deleted or replaced while open; it is created again on the next operation.");
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Log.StaleFileNotDeleted(_logger, path, exception);
        }
    }
}
