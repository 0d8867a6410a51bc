namespace ClaudeCache.Extensions.AI;

/// <summary>Where the second tier lives (<c>ClaudeCache:Storage</c>): the same keys as the proxy's configuration.</summary>
public sealed class ClaudeCacheStorageOptions
{
    /// <summary>
    /// <c>sqlite</c> (default: one file, shareable with the proxy), <c>redis</c> (several application instances — and
    /// proxies — share one cache, ledger and upstream call per unique request; needs <c>AddRedisStore()</c> from
    /// <c>ClaudeCache.Extensions.AI.Redis</c>, which reads <c>ClaudeCache:Storage:Redis:*</c> as the proxy does) or
    /// <c>memory</c> (nothing survives a restart).
    /// </summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>The SQLite file. Point the proxy and the application at the same file to share one cache.</summary>
    public string SqlitePath { get; set; } = "claudecache.db";

    /// <summary>
    /// Opens the SQLite file through SQLite's <c>unix-excl</c> VFS: the WAL index stays in this process's memory (no
    /// <c>-shm</c> file that a truncation or <c>chattr +i</c> from outside could turn into a SIGBUS), and this process
    /// holds the file alone — no other process can open it, neither a proxy, an application sharing the file, nor
    /// <c>claudecache stats --db</c> / <c>estimate --db</c>. Linux and macOS only. Default false.
    /// </summary>
    public bool SqliteExclusive { get; set; }

    /// <summary>Size cap of the SQLite tier in bytes; least recently used entries go first. Default 1 GiB.</summary>
    public long MaxBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>How often expired entries are removed and the cap enforced. Default 1 minute.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(1);
}
