using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>
/// The two native calls the file guard needs and neither .NET nor Microsoft.Data.Sqlite exposes: <c>access(2)</c>,
/// and SQLite's <c>SQLITE_FCNTL_HAS_MOVED</c> file control.
/// </summary>
internal static partial class SqliteNative
{
    private const int WriteOk = 2; // W_OK
    private const int FileControlHasMoved = 20; // SQLITE_FCNTL_HAS_MOVED
    private const int DbConfigNoCheckpointOnClose = 1010; // SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE

    /// <summary>
    /// Whether this process may write <paramref name="path"/>, asked without opening it. Opening and closing a
    /// second descriptor of the <c>-shm</c> file would drop every POSIX lock SQLite holds on it (locks belong to the
    /// process and the file, and any close releases them), so only <c>access(2)</c> will do. It also reports an
    /// immutable file (EPERM, root included) and a read-only mount (EROFS). Always true on Windows, which has no
    /// <c>-shm</c> mapping to fault on.
    /// </summary>
    internal static bool CanWrite(string path)
    {
        if (OperatingSystem.IsWindows() || !s_accessAvailable)
        {
            return true;
        }

        try
        {
            return Access(path, WriteOk) == 0;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            // No C library under that name here: the check is off, as before it existed.
            s_accessAvailable = false;
            return true;
        }
    }

    private static volatile bool s_accessAvailable = true;
    private static volatile bool s_fileControlAvailable = true;

    /// <summary>
    /// Whether SQLite sees the file of <paramref name="connection"/> as deleted or replaced (another inode at its
    /// path) since it was opened. False when SQLite cannot tell.
    /// </summary>
    internal static bool HasMoved(SqliteConnection connection)
    {
        if (!s_fileControlAvailable)
        {
            return false;
        }

        try
        {
            var moved = 0;
            return FileControl(connection.Handle!.DangerousGetHandle(), "main", FileControlHasMoved, ref moved) == 0 && moved != 0;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            // SQLitePCLRaw runs on another native SQLite than its bundled e_sqlite3: the check is off.
            s_fileControlAvailable = false;
            return false;
        }
    }

    /// <summary>
    /// Stops <paramref name="connection"/> from checkpointing when it closes: the checkpoint writes the WAL index,
    /// which must not be touched once the <c>-shm</c> has faulted.
    /// </summary>
    internal static void SkipCheckpointOnClose(SqliteConnection connection) =>
        SQLitePCL.raw.sqlite3_db_config(connection.Handle, DbConfigNoCheckpointOnClose, 1, out _);

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);

    [LibraryImport("e_sqlite3", EntryPoint = "sqlite3_file_control", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FileControl(IntPtr db, string databaseName, int operation, ref int argument);
}
