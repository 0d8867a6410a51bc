using StackExchange.Redis;

namespace ClaudeCache.Storage.Redis;

/// <summary>
/// Options of the Redis store (<see cref="RedisConnection"/>, <see cref="RedisSecondTier"/>, <see cref="RedisBackplane"/>,
/// <see cref="RedisLock"/>): where Redis is, how keys are named, and how long the cache may wait for it.
/// </summary>
/// <remarks>See <c>docs/redis.md</c>.</remarks>
public sealed class RedisStoreOptions
{
    /// <summary>
    /// A StackExchange.Redis connection string: a standalone server (<c>redis:6379</c>), Sentinel
    /// (<c>sentinel1:26379,sentinel2:26379,serviceName=mymaster</c>) or several cluster nodes
    /// (<c>node1:6379,node2:6379,node3:6379</c>). Any client option may be added (<c>password=…</c>, <c>ssl=true</c>,
    /// <c>connectTimeout=…</c>); <c>abortConnect</c> is always forced off so the application starts while Redis is down.
    /// </summary>
    public string Configuration { get; set; } = "localhost:6379";

    /// <summary>
    /// Prefix of every key and channel, so several applications (or cache versions) can share one Redis. It must not
    /// contain <c>{</c> or <c>}</c>: keys carry their own cluster hash tag. Default <c>cc:</c>.
    /// </summary>
    public string KeyPrefix { get; set; } = "cc:";

    /// <summary>
    /// The most any single operation may take before it fails (and the response cache serves a miss): a slow Redis
    /// must cost a request no more than this. Default 50 ms.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Entries larger than this are not stored (logged, not thrown). Default 8 MiB.</summary>
    public int MaxEntryBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// Up to this fraction of an entry's time to live is taken off at random when it is written, so entries written
    /// together (a warm-up, a burst) do not all expire in the same instant. Between 0 and 0.5. Default 0.05.
    /// </summary>
    public double TtlJitter { get; set; } = 0.05;

    /// <summary>How often a lost connection is retried. Default 1 second.</summary>
    public TimeSpan ReconnectRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Publish and receive memory-tier invalidations between instances.</summary>
    public bool Backplane { get; set; } = true;

    /// <summary>Coalesce identical misses across instances with a leased lock.</summary>
    public bool Lock { get; set; } = true;

    /// <summary>
    /// Every savings-ledger key (a minute's counters, its latency histogram, the index of minutes) expires this long
    /// after its last write, so the ledger cannot outlive its use even when no instance prunes it. The ledger's own
    /// retention (<c>Costs:LedgerMinuteRetention</c>) also deletes older minutes; the shorter wins. Default 35 days.
    /// </summary>
    public TimeSpan LedgerTimeToLive { get; set; } = TimeSpan.FromDays(35);

    /// <summary>
    /// The dictionaries hash expires this long after it was last written or loaded: every running instance loads it
    /// at start and on each training round, so it lives while the fleet does and is gone once no one uses it.
    /// Default 30 days.
    /// </summary>
    public TimeSpan DictionaryTimeToLive { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Every problem with these options, each naming its configuration key under <paramref name="sectionPath"/>
    /// (e.g. <c>ClaudeCache:Storage:Redis:KeyPrefix must not contain '{' or '}'.</c>), including a
    /// <see cref="Configuration"/> that does not parse or names no endpoint. Empty when the options are valid. Hosts
    /// call it at start-up so a bad value stops the process with the key's name; the message never repeats the
    /// connection string, which may hold a password.
    /// </summary>
    public IReadOnlyList<string> Validate(string sectionPath)
    {
        ArgumentNullException.ThrowIfNull(sectionPath);
        return [.. Problems().Select(p => $"{sectionPath}:{p.Key} {p.Problem}.")];
    }

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range or the configuration does not parse.</summary>
    internal void Validate()
    {
        var (key, problem) = Problems().FirstOrDefault();
        if (key is not null)
        {
            throw new ArgumentException($"RedisStoreOptions.{key} {problem}.", key);
        }
    }

    private IEnumerable<(string Key, string Problem)> Problems()
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            yield return (nameof(Configuration), "must name at least one Redis endpoint (a StackExchange.Redis connection string such as redis:6379)");
        }
        else if (ConfigurationProblem(Configuration) is { } problem)
        {
            yield return (nameof(Configuration), problem);
        }

        // A brace in the prefix would become the key's hash tag and put every key in one cluster slot.
        if (KeyPrefix is null || KeyPrefix.Contains('{', StringComparison.Ordinal) || KeyPrefix.Contains('}', StringComparison.Ordinal))
        {
            yield return (nameof(KeyPrefix), "must not contain '{' or '}'");
        }

        if (OperationTimeout <= TimeSpan.Zero || OperationTimeout > TimeSpan.FromMinutes(1))
        {
            yield return (nameof(OperationTimeout), "must be positive and at most one minute");
        }

        if (MaxEntryBytes <= 0)
        {
            yield return (nameof(MaxEntryBytes), "must be positive");
        }

        if (!(TtlJitter >= 0 && TtlJitter <= 0.5))
        {
            yield return (nameof(TtlJitter), "must be between 0 and 0.5");
        }

        if (LedgerTimeToLive < TimeSpan.FromHours(1) || LedgerTimeToLive > TimeSpan.FromDays(3660))
        {
            yield return (nameof(LedgerTimeToLive), "must be between one hour and 3660 days");
        }

        if (DictionaryTimeToLive < TimeSpan.FromHours(1) || DictionaryTimeToLive > TimeSpan.FromDays(3660))
        {
            yield return (nameof(DictionaryTimeToLive), "must be between one hour and 3660 days");
        }

        if (ReconnectRetryInterval <= TimeSpan.Zero || ReconnectRetryInterval > TimeSpan.FromMinutes(10))
        {
            yield return (nameof(ReconnectRetryInterval), "must be positive and at most ten minutes");
        }
    }

    private static string? ConfigurationProblem(string configuration)
    {
        try
        {
            return ConfigurationOptions.Parse(configuration).EndPoints.Count == 0
                ? "must name at least one Redis endpoint (host:port)"
                : null;
        }
        catch (Exception ex) when (ex is ArgumentException or RedisConnectionException)
        {
            // The client's message names the offending option, not the whole string.
            return "does not parse: " + ex.Message.TrimEnd('.');
        }
    }
}
