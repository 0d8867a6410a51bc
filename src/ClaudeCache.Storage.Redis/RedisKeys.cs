using StackExchange.Redis;

namespace ClaudeCache.Storage.Redis;

/// <summary>
/// The key layout. The hex cache key is wrapped in braces, a cluster hash tag: an entry and its lock hash to the same
/// slot (so one script can look at both), while the keys as a whole still spread evenly over the slots because the
/// hex is a SHA-256 digest.
/// </summary>
internal static class RedisKeys
{
    /// <summary><c>{prefix}e:{hex}</c>: an encoded entry.</summary>
    public static RedisKey Entry(string prefix, string hexKey) => $"{prefix}e:{{{hexKey}}}";

    /// <summary><c>{prefix}l:{hex}</c>: the lock of whoever is computing the entry.</summary>
    public static RedisKey Lock(string prefix, string hexKey) => $"{prefix}l:{{{hexKey}}}";

    /// <summary>
    /// <c>{prefix}ix:m:{hex}</c>: what the purge index knows of an entry (a hash), in the entry's slot so that both are
    /// written in one transaction, and expiring with it.
    /// </summary>
    public static RedisKey EntryMetadata(string prefix, string hexKey) => $"{prefix}ix:m:{{{hexKey}}}";

    /// <summary>
    /// <c>{prefix}ix:{dimension}:{value}</c>: the entries with that tag, tenant, namespace, model, context or strategy (a
    /// sorted set: member = hex key, score = the entry's expiry in Unix milliseconds), expiring no sooner than its
    /// longest-lived member.
    /// </summary>
    public static RedisKey IndexSet(string prefix, string dimension, string value) => $"{prefix}ix:{dimension}:{value}";

    /// <summary><c>{prefix}t:{hex}</c>: why the entry went away (a miss reason, with an expiry): the miss's <c>x-cache-miss-reason</c>.</summary>
    public static RedisKey Tombstone(string prefix, string hexKey) => $"{prefix}t:{{{hexKey}}}";

    /// <summary><c>{prefix}dictionaries</c>: trained entry dictionaries (a hash: id → created-at and bytes).</summary>
    public static RedisKey Dictionaries(string prefix) => $"{prefix}dictionaries";

    /// <summary><c>{prefix}dictionaries:training</c>: who trains the next dictionary (a string with an expiry).</summary>
    public static RedisKey DictionaryTraining(string prefix) => $"{prefix}dictionaries:training";

    /// <summary><c>{prefix}ledger:m:{minute}</c>: one minute of the savings ledger (a hash of counters).</summary>
    public static RedisKey LedgerMinute(string prefix, long minute) => $"{prefix}ledger:m:{minute}";

    /// <summary><c>{prefix}ledger:l:{minute}</c>: one minute of latency histograms (a hash of counters).</summary>
    public static RedisKey LedgerLatency(string prefix, long minute) => $"{prefix}ledger:l:{minute}";

    /// <summary><c>{prefix}ledger:minutes</c>: the minutes that have ledger data (a sorted set, score = minute).</summary>
    public static RedisKey LedgerIndex(string prefix) => $"{prefix}ledger:minutes";

    /// <summary><c>{prefix}reqlog:h:{hour}</c>: one hour of the request log (a list of rows, oldest first).</summary>
    public static RedisKey RequestLogHour(string prefix, long hour) => $"{prefix}reqlog:h:{hour}";

    /// <summary><c>{prefix}reqlog:hours</c>: the hours that have request-log rows (a sorted set, score = hour).</summary>
    public static RedisKey RequestLogIndex(string prefix) => $"{prefix}reqlog:hours";

    /// <summary><c>{prefix}invalidate</c>: the backplane channel.</summary>
    public static RedisChannel InvalidationChannel(string prefix) => RedisChannel.Literal(prefix + "invalidate");
}
