namespace ClaudeCache.Caching;

/// <summary>What a tier holds right now, expired entries not yet cleaned up included.</summary>
/// <param name="EntryCount">The number of stored entries.</param>
/// <param name="TotalBytes">The sum of their encoded sizes (what a size cap limits).</param>
public readonly record struct StoreStatistics(long EntryCount, long TotalBytes);
