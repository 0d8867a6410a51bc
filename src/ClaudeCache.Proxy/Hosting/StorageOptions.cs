namespace ClaudeCache.Proxy.Hosting;

/// <summary>Where the second tier lives (<c>ClaudeCache:Storage</c>).</summary>
public sealed class StorageOptions
{
    /// <summary><c>sqlite</c> (default: one file) or <c>memory</c> (no second tier; nothing survives a restart).</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>The SQLite file.</summary>
    public string SqlitePath { get; set; } = "claudecache.db";

    /// <summary>Size cap of the SQLite tier in bytes of stored entries; least recently used entries go first.</summary>
    public long MaxBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>How often expired entries are removed and the cap enforced.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(1);
}
