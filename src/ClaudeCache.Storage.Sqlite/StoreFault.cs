namespace ClaudeCache.Storage.Sqlite;

/// <summary>A fault of the database's files that makes using SQLite unsafe or pointless until it is handled.</summary>
internal enum StoreFault
{
    /// <summary>The files look usable.</summary>
    None,

    /// <summary>
    /// The <c>-shm</c> file (SQLite's memory-mapped WAL index) cannot be written: immutable, read-only mount, or
    /// permissions. A write through the existing mapping would raise SIGBUS and kill the process.
    /// </summary>
    WalIndexUnwritable,

    /// <summary>
    /// The <c>-shm</c> file shrank below the size this process has mapped: any read or write of the lost part of the
    /// mapping would raise SIGBUS.
    /// </summary>
    WalIndexTruncated,

    /// <summary>The database file was deleted, or replaced by another file, while open: writes would go nowhere.</summary>
    DatabaseMoved,
}
