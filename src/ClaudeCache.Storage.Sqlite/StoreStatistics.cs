namespace ClaudeCache.Storage.Sqlite;

/// <summary>What the store holds right now, expired entries not yet cleaned up included.</summary>
/// <param name="EntryCount">The number of stored entries.</param>
/// <param name="TotalBytes">The sum of their payload sizes: the figure <see cref="SqliteStoreOptions.MaxBytes"/> caps.</param>
public readonly record struct StoreStatistics(long EntryCount, long TotalBytes);
