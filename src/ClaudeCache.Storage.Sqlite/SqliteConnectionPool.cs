using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>
/// A small pool of open connections to one file, each with its prepared statements (see <see cref="PooledConnection"/>).
/// Microsoft.Data.Sqlite's own pool keeps connections open but drops prepared statements when a connection is
/// returned, so the store keeps its own and turns the library's pooling off (which also means disposing the store
/// really closes the file).
/// </summary>
internal sealed class SqliteConnectionPool : IDisposable
{
    private readonly string _connectionString;
    private readonly TimeSpan _busyTimeout;
    private readonly int _maxIdle;
    private static readonly ConcurrentBag<PooledConnection> Abandoned = [];

    private readonly Func<bool> _skipCheckpointOnClose;
    private readonly SqliteFileGuard _guard;
    private readonly ConcurrentQueue<PooledConnection> _idle = new();
    private int _idleCount;
    private int _generation;
    private volatile bool _disposed;

    /// <param name="path">The database file.</param>
    /// <param name="guard">Told of every connection opened and closed, so that every store of the file in this process knows it is mapped.</param>
    /// <param name="busyTimeout">How long a statement waits for another connection's lock.</param>
    /// <param name="exclusive">Open through the <c>unix-excl</c> VFS (<see cref="SqliteStoreOptions.Exclusive"/>).</param>
    /// <param name="skipCheckpointOnClose">
    /// Asked before each close: true when closing must not checkpoint (the WAL index has faulted).
    /// </param>
    internal SqliteConnectionPool(string path, SqliteFileGuard guard, TimeSpan busyTimeout, bool exclusive, Func<bool> skipCheckpointOnClose)
    {
        _guard = guard;
        _busyTimeout = busyTimeout;
        _skipCheckpointOnClose = skipCheckpointOnClose;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = SqliteDataSource.For(path, exclusive),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,

            // Microsoft.Data.Sqlite retries a busy statement until the command timeout (default 30 s, 0 = forever)
            // on top of SQLite's own busy_timeout; bound it by the same budget so a locked file fails fast.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds)),
        }.ToString();

        // Enough for every thread that can run a query at once; extra connections opened under bursts are closed
        // when returned rather than kept.
        _maxIdle = Math.Max(4, Environment.ProcessorCount * 2);
    }

    /// <summary>Bumped by <see cref="Recycle"/>; connections of an older generation are closed when returned.</summary>
    internal int Generation => Volatile.Read(ref _generation);

    /// <summary>Takes an idle connection or opens a new one. Throws when the file cannot be opened.</summary>
    internal PooledConnection Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryDequeue(out var pooled))
        {
            Interlocked.Decrement(ref _idleCount);
            return pooled;
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            var generation = Generation;
            connection.Open();
            _guard.ConnectionOpened(); // its first statement maps the -shm, for every store of the file in this process
            try
            {
                SqliteSchema.ConfigureConnection(connection, _busyTimeout);
            }
            catch
            {
                _guard.ConnectionClosed();
                throw;
            }

            return new PooledConnection(connection, generation);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Gives a connection back. Pass <paramref name="healthy"/> false after a failure: the connection may hold a
    /// half-done transaction or a broken statement, so it is closed instead of reused.
    /// </summary>
    internal void Return(PooledConnection connection, bool healthy = true)
    {
        if (!healthy || _disposed || connection.Generation != Generation)
        {
            Close(connection);
            return;
        }

        if (Interlocked.Increment(ref _idleCount) > _maxIdle)
        {
            Interlocked.Decrement(ref _idleCount);
            Close(connection);
            return;
        }

        _idle.Enqueue(connection);

        // Dispose may have run between the check and the enqueue; drain so nothing stays open.
        if (_disposed)
        {
            Drain();
        }
    }

    /// <summary>
    /// Closes every idle connection and makes the rented ones close when returned: for a database file that was
    /// deleted or replaced, whose open connections still point at the old one.
    /// </summary>
    internal void Recycle()
    {
        Interlocked.Increment(ref _generation);
        Drain();
    }

    public void Dispose()
    {
        _disposed = true;
        Drain();
    }

    private void Drain()
    {
        while (_idle.TryDequeue(out var pooled))
        {
            Interlocked.Decrement(ref _idleCount);
            Close(pooled);
        }
    }

    private void Close(PooledConnection connection)
    {
        if (_skipCheckpointOnClose())
        {
            // The WAL index has faulted. A close without checkpoint does not touch it, but once the last of this
            // process's connections closes, a connection of another pool on the file (the ledger's) may take the
            // exclusive lock and checkpoint on its own close, touching the faulted mapping. So the connection stays
            // open, referenced for the life of the process (collected, its handle would close it), holding its shared
            // lock; the operating system releases it at exit.
            SqliteNative.SkipCheckpointOnClose(connection.Connection);
            Abandoned.Add(connection);
            return;
        }

        try
        {
            connection.Dispose();
        }
        finally
        {
            _guard.ConnectionClosed();
        }
    }
}
