using System.Text;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>
/// The data source every connection of the store opens: the plain path, or with <see cref="SqliteStoreOptions.Exclusive"/>
/// a URI naming SQLite's <c>unix-excl</c> VFS. Every connection of the process on one file must use the same one: SQLite
/// shares one WAL index per file and process, and would otherwise mix a heap index with a mapped <c>-shm</c>.
/// </summary>
internal static class SqliteDataSource
{
    /// <summary>The VFS that keeps the WAL index in heap memory and locks the file for this process alone.</summary>
    internal const string ExclusiveVfs = "unix-excl";

    private const int Busy = 5; // SQLITE_BUSY
    private const int Locked = 6; // SQLITE_LOCKED

    /// <summary>
    /// <paramref name="path"/> as a data source: unchanged, or with <paramref name="exclusive"/> the URI
    /// <c>file:ABSOLUTE-PATH?vfs=unix-excl</c> (Microsoft.Data.Sqlite opens a data source starting with <c>file:</c>
    /// with <c>SQLITE_OPEN_URI</c>). <c>%</c>, <c>?</c> and <c>#</c> in the path are escaped, as a URI needs.
    /// </summary>
    internal static string For(string path, bool exclusive)
    {
        if (!exclusive || path == ":memory:")
        {
            return path;
        }

        var full = System.IO.Path.GetFullPath(path);
        var uri = new StringBuilder("file:", full.Length + 24);
        foreach (var c in full)
        {
            _ = c switch
            {
                '%' => uri.Append("%25"),
                '?' => uri.Append("%3f"),
                '#' => uri.Append("%23"),
                _ => uri.Append(c),
            };
        }

        return uri.Append("?vfs=").Append(ExclusiveVfs).ToString();
    }

    /// <summary>
    /// Whether <paramref name="exception"/> says the file is locked (busy beyond the timeout). In WAL mode readers never
    /// wait for writers, so a lock that outlasts the timeout at open is, in practice, a process holding the file
    /// exclusively (<see cref="SqliteStoreOptions.Exclusive"/>).
    /// </summary>
    internal static bool IsLocked(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: Busy or Locked };

    /// <summary>The message of a store that could not open <paramref name="path"/> because another process holds it.</summary>
    internal static string HeldElsewhere(string path) =>
        $"The cache database '{path}' is held by another process: a process running with ClaudeCache:Storage:SqliteExclusive "
        + "locks the file for itself, and no other process can open it.";
}
