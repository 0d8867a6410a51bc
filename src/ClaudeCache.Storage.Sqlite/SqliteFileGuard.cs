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
/// one <c>stat</c> and one <c>access</c>, a few microseconds. What remains is the window between the check and
/// the statement (microseconds to milliseconds): a fault injected exactly then still kills the process.
/// </remarks>
internal sealed class SqliteFileGuard
{
    /// <summary>
    /// SQLite maps the WAL index in regions of 32 KiB, and the first connection of a process grows the file to one
    /// region before mapping it: a <c>-shm</c> this process has mapped is never smaller.
    /// </summary>
    internal const long WalIndexRegion = 32 * 1024;

    internal SqliteFileGuard(string databasePath) => WalIndexPath = databasePath + "-shm";

    internal string WalIndexPath { get; }

    /// <summary>
    /// Checks the WAL index. <paramref name="mapped"/> says whether this process may hold it mapped (it has open
    /// connections): only then is a short file a fault rather than one another process is about to initialise.
    /// </summary>
    internal StoreFault InspectWalIndex(bool mapped)
    {
        var file = new FileInfo(WalIndexPath);
        if (!file.Exists)
        {
            return StoreFault.None; // SQLite creates it; deleted under a mapping, the mapping stays valid
        }

        if (!SqliteNative.CanWrite(WalIndexPath))
        {
            return StoreFault.WalIndexUnwritable;
        }

        return mapped && file.Length < WalIndexRegion ? StoreFault.WalIndexTruncated : StoreFault.None;
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
}
