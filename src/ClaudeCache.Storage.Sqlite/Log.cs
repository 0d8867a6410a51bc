using Microsoft.Extensions.Logging;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>The SQLite store's log messages. Event ids 2100–2199 belong to this component; keys are never logged.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Created the cache schema (version {SchemaVersion}) in {Path}")]
    public static partial void SchemaCreated(ILogger logger, int schemaVersion, string path);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "The cache database {Path} runs in journal mode {JournalMode}, not WAL: readers and writers will block each other")]
    public static partial void NotWal(ILogger logger, string path, string journalMode);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Debug, Message = "Cache cleanup removed {Expired} expired and {Evicted} evicted entries in {ElapsedMs} ms; {TotalBytes} bytes stored")]
    public static partial void CleanupCompleted(ILogger logger, int expired, int evicted, long elapsedMs, long totalBytes);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Background cache cleanup failed")]
    public static partial void CleanupFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "Writing {Count} access times failed; eviction order may be less accurate")]
    public static partial void AccessFlushFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Error, Message = "The cache store is off: fault {Fault} on {Path}. SQLite maps this file into memory, and touching it now would crash the process; requests are served without the store until it recovers")]
    public static partial void WalIndexFaulted(ILogger logger, StoreFault fault, string path);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Information, Message = "The cache store is back: fault {Fault} on {Path} has cleared")]
    public static partial void FileFaultEnded(ILogger logger, StoreFault fault, string path);

    [LoggerMessage(EventId = 2107, Level = LogLevel.Warning, Message = "The cache database {Path} was deleted or replaced while open; its connections are closed and the file is created again")]
    public static partial void DatabaseMoved(ILogger logger, string path);

    [LoggerMessage(EventId = 2108, Level = LogLevel.Warning, Message = "Could not delete {Path}, left by a deleted cache database")]
    public static partial void StaleFileNotDeleted(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 2109, Level = LogLevel.Error, Message = "The cache database {Path} is held by another process (one running with ClaudeCache:Storage:SqliteExclusive locks the file for itself); requests are served without the store")]
    public static partial void HeldByAnotherProcess(ILogger logger, string path);
}
