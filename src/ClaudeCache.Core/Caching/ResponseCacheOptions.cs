using ClaudeCache.Entries;

namespace ClaudeCache.Caching;

/// <summary>Options of the tiered response cache (configuration section <c>ClaudeCache:Cache</c>).</summary>
public sealed class ResponseCacheOptions
{
    /// <summary>Upper bound of the memory tier, in bytes of encoded (compressed) entries. Default 64 MiB.</summary>
    public long MemoryMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Upper bound, in bytes, of the memo of decoded hot entries in front of the memory tier: a hit on a memoised
    /// entry skips the checksum and the zstd decode. Counted on top of <see cref="MemoryMaxBytes"/>. 0 turns it off.
    /// Default 1 MiB.
    /// </summary>
    public long DecodedMemoMaxBytes { get; set; } = 1024 * 1024;

    /// <summary>The default of <see cref="RequestMemoMaxEntries"/>.</summary>
    public const int DefaultRequestMemoEntries = 10_000;

    /// <summary>The default of <see cref="RequestMemoMaxBytes"/>.</summary>
    public const long DefaultRequestMemoBytes = 32L * 1024 * 1024;

    /// <summary>
    /// Requests whose prepared form (key, policy) is remembered by their exact bytes and key-relevant headers, so a
    /// repeat skips parsing and key building (docs/request-path.md). 0 turns the memo off. Default 10,000.
    /// </summary>
    public int RequestMemoMaxEntries { get; set; } = DefaultRequestMemoEntries;

    /// <summary>Upper bound of the request bodies the memo keeps, in bytes; a body over 1/16 of it is never memoised. 0 turns it off. Default 32 MiB.</summary>
    public long RequestMemoMaxBytes { get; set; } = DefaultRequestMemoBytes;

    /// <summary>An entry larger than this (encoded) is not stored. Default 8 MiB.</summary>
    public int MaxEntryBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Second-tier writes waiting to happen; past this, new writes are dropped (and counted). Default 10,000.</summary>
    public int WriteQueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// Train a zstd dictionary on this store's own entries and compress new entries with it once it beats the
    /// shipped one (docs/decisions/0007-trained-dictionaries.md). Default true.
    /// </summary>
    public bool TrainDictionary { get; set; } = true;

    /// <summary>
    /// Entries sampled for one training round (each by its first 4 KiB; a round also starts once its samples reach
    /// 1 MiB). Default 250: on realistic answers a dictionary trained on 60 already reaches the compression target
    /// (docs/benchmarks.md).
    /// </summary>
    public int DictionaryTrainingEntries { get; set; } = 250;

    /// <summary>The largest dictionary trained, in bytes. Default 32 KiB.</summary>
    public int DictionaryMaxBytes { get; set; } = 32 * 1024;

    /// <summary>
    /// How long after a training round the next may start (traffic drifts; a newer dictionary is adopted only when
    /// it compresses the newest entries better). Default 24 hours.
    /// </summary>
    public TimeSpan DictionaryRetrainInterval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// A trained dictionary older than this is replaced at the next round even by a candidate that is only as good:
    /// it holds fragments of the answers it was trained on, which should not outlive them by much. Default 7 days.
    /// </summary>
    public TimeSpan DictionaryMaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Trained dictionaries kept in the store, newest first; dictionaries younger than two retrain intervals are kept
    /// as well (instances sharing a store may train at once). An entry compressed with a dictionary that is no longer
    /// kept reads as a miss, so keep at least (longest TTL ÷ retrain interval) + 1. Default 8.
    /// </summary>
    public int DictionariesKept { get; set; } = 8;

    /// <summary>
    /// Keys whose reason for going away (invalidated, evicted, expired) this instance remembers, for
    /// <c>x-cache-miss-reason</c>; the least recent is forgotten first. 0 turns the memory off. Default 10,000.
    /// </summary>
    public int TombstoneMaxEntries { get; set; } = 10_000;

    /// <summary>
    /// How long a shared store (SQLite, Redis) remembers why an entry went away, so that every instance can tell a
    /// miss's reason. Default 24 hours.
    /// </summary>
    public TimeSpan TombstoneTimeToLive { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Describes the first invalid setting, or returns null when all are valid.</summary>
    public string? Validate()
    {
        if (MemoryMaxBytes < 0 || DecodedMemoMaxBytes < 0 || MaxEntryBytes <= 0 || WriteQueueCapacity <= 0)
        {
            return "ClaudeCache:Cache: MemoryMaxBytes and DecodedMemoMaxBytes must be >= 0; MaxEntryBytes and WriteQueueCapacity must be positive.";
        }

        if (TombstoneMaxEntries < 0 || TombstoneTimeToLive < TimeSpan.Zero)
        {
            return "ClaudeCache:Cache: TombstoneMaxEntries and TombstoneTimeToLive must be >= 0.";
        }

        if (DictionaryTrainingEntries < 20 || DictionaryMaxBytes is < 1024 or > EntryDictionary.MaxSize ||
            DictionaryRetrainInterval < TimeSpan.Zero || DictionaryRetrainInterval > TimeSpan.FromDays(365) || DictionaryMaxAge <= TimeSpan.Zero || DictionariesKept < 1)
        {
            return $"ClaudeCache:Cache: DictionaryTrainingEntries must be >= 20, DictionaryMaxBytes between 1024 and {EntryDictionary.MaxSize}, DictionaryRetrainInterval between 0 and 365 days, DictionaryMaxAge positive and DictionariesKept >= 1.";
        }

        return null;
    }
}
