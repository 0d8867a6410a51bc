namespace ClaudeCache.Caching;

/// <summary>What the cache holds and how well it compresses.</summary>
/// <param name="MemoryEntries">Entries in the memory tier.</param>
/// <param name="MemoryBytes">Encoded bytes in the memory tier (with per-entry overhead).</param>
/// <param name="StoredEntries">Entries in the second tier, or null when there is none or it cannot tell.</param>
/// <param name="StoredBytes">Encoded bytes in the second tier, or null.</param>
/// <param name="CompressionRatio">Raw bytes ÷ encoded bytes over the entries written since start, or null before any.</param>
/// <param name="DictionaryId">The id of the zstd dictionary new entries are compressed with, as 8 hex digits.</param>
/// <param name="DictionaryTrainedAt">When that dictionary was trained on this store's entries; null for the shipped one.</param>
public readonly record struct CacheStatistics(
    long MemoryEntries,
    long MemoryBytes,
    long? StoredEntries,
    long? StoredBytes,
    double? CompressionRatio,
    string DictionaryId,
    DateTimeOffset? DictionaryTrainedAt);
