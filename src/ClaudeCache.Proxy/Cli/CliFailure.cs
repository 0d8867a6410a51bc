using Microsoft.Data.Sqlite;

namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// An expected failure of <c>claudecache stats</c>, <c>estimate</c> or <c>purge</c>, returned as a value: a one-line message for stderr and the exit
/// code (2 when the user can fix it — unreachable proxy, wrong token, missing file, bad option; 1 otherwise).
/// </summary>
internal sealed record CliFailure(int ExitCode, string Message)
{
    public static CliFailure Usage(string message) => new(2, message);

    public static CliFailure Other(string message) => new(1, message);

    /// <summary>
    /// Whether opening the database failed because another process holds it locked: SQLite's "database is locked"
    /// (busy beyond the timeout), or the store's error that wraps it. In WAL mode readers never wait for writers, so
    /// at open that is a proxy running with <c>ClaudeCache:Storage:SqliteExclusive</c>.
    /// </summary>
    public static bool IsHeldElsewhere(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 } // SQLITE_BUSY, SQLITE_LOCKED
        || (exception.InnerException is { } inner && IsHeldElsewhere(inner));

    /// <summary>The one line for a database file another process holds for itself: ask that process instead.</summary>
    public static CliFailure HeldElsewhere(string database) =>
        Other($"'{Path.GetFullPath(database)}' is held by another process (a proxy running with ClaudeCache:Storage:SqliteExclusive locks its file for itself); use --url against the running proxy instead.");

    /// <summary>Prints the message on <paramref name="error"/> and returns the exit code.</summary>
    public async Task<int> ReportAsync(TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        await error.WriteLineAsync("claudecache: " + Message).ConfigureAwait(false);
        return ExitCode;
    }
}
