using ClaudeCache.Storage.Redis;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>Where the second tier lives (<c>ClaudeCache:Storage</c>).</summary>
public sealed class StorageOptions
{
    /// <summary>
    /// <c>sqlite</c> (default: one file), <c>redis</c> (many instances share one cache, ledger and upstream call per
    /// unique request; see docs/redis.md) or <c>memory</c> (no second tier; nothing survives a restart).
    /// </summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>The SQLite file.</summary>
    public string SqlitePath { get; set; } = "claudecache.db";

    /// <summary>Size cap of the SQLite tier in bytes of stored entries; least recently used entries go first.</summary>
    public long MaxBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>How often expired entries are removed and the cap enforced.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Redis (<c>ClaudeCache:Storage:Redis:*</c>), used when <see cref="Provider"/> is <c>redis</c>.</summary>
    public RedisStoreOptions Redis { get; set; } = new();
}
