using System.Collections.Concurrent;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>
/// Checks the files of one database before SQLite touches them, for the faults SQLite cannot survive or does not
/// report (see <see cref="StoreFault"/>).
/// </summary>
/// <remarks>
/// SQLite keeps the WAL index in the <c>-shm</c> file mapped into memory and reads and writes it with plain memory
/// accesses. A fault on a mapped file is not an error code but a SIGBUS, which kills the .NET process without a log
/// line: the kernel refuses a write fault on an immutable file (<c>chattr +i</c>), and any access past the end of a
/// file truncated under the mapping. Nothing can catch that, so the store asks before every operation instead:
/// one <c>stat</c> and one <c>access</c>, a few microseconds. SQLite maps the file once per process, for every
/// connection of every store, so the guards of one file share what they know of that mapping. What remains is an
/// operation already past its check when the fault lands (up to a ledger flush long): it still kills the process
/// (docs/decisions/0018-wal-index-guard-per-process.md).
/// </remarks>
internal sealed class SqliteFileGuard
{
    /// <summary>
    /// SQLite maps the WAL index in regions of 32 KiB, and the first connection of a process grows the file to one
    /// region before mapping it: a <c>-shm</c> this process has mapped is never smaller.
    /// </summary>
    internal const long WalIndexRegion = 32 * 1024;

    private static readonly ConcurrentDictionary<string, ProcessMapping> Mappings = new(StringComparer.Ordinal);
    private readonly ProcessMapping _mapping;
    private readonly bool _exclusive;

    /// <remarks>
    /// Every guard of one file in this process shares what it knows about the mapping: SQLite maps the <c>-shm</c>
    /// once per process (per inode), for all connections, whichever store opened them, so "is it mapped here" is a
    /// question about the process, not about the store asking.
    /// With <paramref name="exclusive"/> (<see cref="SqliteStoreOptions.Exclusive"/>) SQLite keeps the WAL index in
    /// this process's heap and never opens a <c>-shm</c> file: there is no mapping to fault, and a <c>-shm</c> at the path
    /// (left by an earlier run without the option, or made by someone else) is none of this process's business.
    /// </remarks>
    internal SqliteFileGuard(string databasePath, bool exclusive = false)
    {
        _exclusive = exclusive;
        WalIndexPath = databasePath + "-shm";
        _mapping = Mappings.GetOrAdd(Path.GetFullPath(WalIndexPath), static _ => new ProcessMapping());
    }

    internal string WalIndexPath { get; }

    /// <summary>
    /// Whether any connection of this process may hold the WAL index mapped: a connection of any store on the file
    /// is open (or was, for pools that keep theirs open out of sight).
    /// </summary>
    internal bool MappedInProcess => Volatile.Read(ref _mapping.Connections) > 0;

    /// <summary>Notes a connection opened on the file, by any store of this process.</summary>
    internal void ConnectionOpened() => Interlocked.Increment(ref _mapping.Connections);

    /// <summary>Notes a connection closed; when none is left, the mapping is gone and its size forgotten.</summary>
    internal void ConnectionClosed()
    {
        if (Interlocked.Decrement(ref _mapping.Connections) == 0)
        {
            Interlocked.Exchange(ref _mapping.LargestSeen, 0);
        }
    }

    /// <summary>
    /// Checks the WAL index. A short file is a fault only while this process (any store of it) may hold it mapped:
    /// otherwise it is one another process is about to initialise.
    /// </summary>
    internal StoreFault InspectWalIndex()
    {
        if (_exclusive)
        {
            return StoreFault.None; // the WAL index is in heap memory: nothing mapped, nothing to fault
        }

        var file = new FileInfo(WalIndexPath);
        if (!file.Exists)
        {
            // SQLite creates it; deleted under a mapping, the mapping stays valid. A new file starts small again.
            Interlocked.Exchange(ref _mapping.LargestSeen, 0);
            return StoreFault.None;
        }

        if (!SqliteNative.CanWrite(WalIndexPath))
        {
            return StoreFault.WalIndexUnwritable;
        }

        if (!MappedInProcess)
        {
            return StoreFault.None;
        }

        // SQLite never shrinks a -shm that a process has mapped, and it maps every region the file grew to: any
        // size below the largest seen while mapped (a WAL grown past one region maps two) cuts the mapping.
        var length = file.Length;
        var largest = Volatile.Read(ref _mapping.LargestSeen);
        if (length < Math.Max(WalIndexRegion, largest))
        {
            return StoreFault.WalIndexTruncated;
        }

        while (length > largest)
        {
            var seen = Interlocked.CompareExchange(ref _mapping.LargestSeen, length, largest);
            if (seen == largest)
            {
                break;
            }

            largest = seen;
        }

        return StoreFault.None;
    }

    /// <summary>
    /// Whether another process holds the WAL index open: SQLite keeps a shared lock on its byte 128 (the "DMS"
    /// lock) for as long as it uses the file, and a process that can lock it exclusively is the only user, which is
    /// how SQLite itself decides. Call only when this process has no connection left on the file: closing the
    /// descriptor opened here drops every lock this process holds on it.
    /// </summary>
    internal bool WalIndexInUseElsewhere()
    {
        if (OperatingSystem.IsMacOS())
        {
            return true; // no byte-range locks through .NET there: leave the files alone
        }

        try
        {
            using var file = new FileStream(WalIndexPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            file.Lock(DmsLockOffset, 1);
            file.Unlock(DmsLockOffset, 1);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return true; // locked by another process, or not ours to touch
        }
    }

    private const long DmsLockOffset = 128; // UNIX_SHM_DMS in SQLite's os_unix.c

    /// <summary>What this process knows of its mapping of one <c>-shm</c> file, shared by every guard of it.</summary>
    private sealed class ProcessMapping
    {
        internal int Connections;
        internal long LargestSeen;
    }
}
