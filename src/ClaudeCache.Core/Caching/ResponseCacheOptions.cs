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

    /// <summary>An entry larger than this (encoded) is not stored. Default 8 MiB.</summary>
    public int MaxEntryBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Second-tier writes waiting to happen; past this, new writes are dropped (and counted). Default 10,000.</summary>
    public int WriteQueueCapacity { get; set; } = 10_000;
}
