namespace ClaudeCache.Storage.Sqlite;

/// <summary>Options of <see cref="SqliteSecondTier"/>: where the file lives and how big it may grow.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The database file. Relative paths resolve against the working directory. Default <c>claudecache.db</c>.</summary>
    public string Path { get; set; } = "claudecache.db";

    /// <summary>
    /// The cap on stored payload bytes (the sum of encoded entry sizes, not the file size, which also holds page
    /// slack and indexes). Cleanup evicts the least recently accessed entries down to it. Default 1 GiB.
    /// </summary>
    public long MaxBytes { get; set; } = 1L << 30;

    /// <summary>
    /// How often expired entries are deleted and the size cap enforced. <see cref="Timeout.InfiniteTimeSpan"/>
    /// turns the timer off (cleanup then runs only when called, or when writes overshoot the cap). Default 1 minute.
    /// </summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a row that cleanup deleted (expired past its grace, or evicted) leaves a tombstone, so the next request
    /// for it says why it missed (<c>x-cache-miss-reason</c>). 0 leaves none. Default 24 hours.
    /// </summary>
    public TimeSpan TombstoneTimeToLive { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long an operation waits for a lock held by another connection or process before it fails. Kept short:
    /// a cache that waits long is worse than a miss. Microsoft.Data.Sqlite's own retry budget counts in whole
    /// seconds, so a timeout under a second still waits about a second. Default 2 seconds.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Opens every connection through SQLite's <c>unix-excl</c> VFS: the WAL index lives in this process's heap (no
    /// <c>-shm</c> file, so no memory mapping another process could fault), and the process holds a lock on the file
    /// that shuts every other process out of it (another proxy, a library process, the CLI's <c>--db</c>). Not on
    /// Windows. Default false.
    /// </summary>
    public bool Exclusive { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException("SqliteStoreOptions.Path must name a file.", nameof(Path));
        }

        if (MaxBytes <= 0)
        {
            throw new ArgumentException("SqliteStoreOptions.MaxBytes must be positive.", nameof(MaxBytes));
        }

        if (TombstoneTimeToLive < TimeSpan.Zero)
        {
            throw new ArgumentException("SqliteStoreOptions.TombstoneTimeToLive must not be negative.", nameof(TombstoneTimeToLive));
        }

        if (CleanupInterval <= TimeSpan.Zero && CleanupInterval != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentException("SqliteStoreOptions.CleanupInterval must be positive or infinite.", nameof(CleanupInterval));
        }

        if (BusyTimeout < TimeSpan.Zero || BusyTimeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentException("SqliteStoreOptions.BusyTimeout must be between zero and five minutes.", nameof(BusyTimeout));
        }

        if (Exclusive && OperatingSystem.IsWindows())
        {
            throw new ArgumentException("SqliteStoreOptions.Exclusive needs SQLite's unix-excl VFS, which Windows does not have.", nameof(Exclusive));
        }
    }
}
