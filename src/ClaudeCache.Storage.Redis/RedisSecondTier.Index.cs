using System.Globalization;
using System.Runtime.CompilerServices;
using ClaudeCache.Caching;
using ClaudeCache.Policy;
using StackExchange.Redis;

namespace ClaudeCache.Storage.Redis;

/// <summary>
/// The purge index on Redis (decision 0012): per entry a metadata hash in the entry's slot, written in the entry's
/// transaction and expiring with it; per tag, tenant, namespace, model, context and strategy a sorted set of the
/// entries that have it (score = expiry), whose own expiry only moves forward, to the longest-lived member's.
/// </summary>
public sealed partial class RedisSecondTier : IEntryIndex
{
    private const int PurgeBatchSize = 500;

    // Adds the member, keeps the set alive at least as long as it, and trims members that have expired: the set's
    // size stays bounded by the live entries that carry the value. One key, so it runs on any cluster node.
    private const string IndexScript = """
        redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
        if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
        end
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])
        return 1
        """;

    private static readonly string[] Strategies =
        [.. new[] { CacheStrategy.Aggressive, CacheStrategy.Standard, CacheStrategy.Conservative, CacheStrategy.RealTime }.Select(StrategyNames.ToHeader)];

    // A purge batch is hundreds of commands in one pipeline: more than one operation's bound, still bounded.
    private TimeSpan BatchTimeout => TimeSpan.FromTicks(Math.Max(_options.OperationTimeout.Ticks * 20, TimeSpan.TicksPerSecond));

    /// <summary>Stores an entry with its <paramref name="metadata"/>, fresh and kept until <paramref name="expiresAt"/>.</summary>
    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, EntryMetadata metadata, CancellationToken cancellationToken) =>
        SetAsync(key, payload, expiresAt, expiresAt, metadata, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Redis keeps the entry, its metadata and its index memberships until <paramref name="keepUntil"/> (its grace included).</remarks>
    public async ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, DateTimeOffset keepUntil, EntryMetadata metadata, CancellationToken cancellationToken)
    {
        expiresAt = keepUntil > expiresAt ? keepUntil : expiresAt;
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(metadata);
        if (payload.Length > _options.MaxEntryBytes || Ttl(expiresAt) is null)
        {
            // Refused or expired: the plain write logs or removes it, and an entry not stored needs no index.
            await SetAsync(key, payload, expiresAt, cancellationToken).ConfigureAwait(false);
            return;
        }

        // The entry first, within the operation's bound (a waiter on this instance's lease looks for it); then the
        // index sets, a pipeline of up to 14 scripts, within the longer bound of a batch.
        await Bounded.WaitAsync(SetIndexedCoreAsync(key, payload, expiresAt, metadata, cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        await Bounded.WaitAsync(IndexCoreAsync(key, expiresAt, metadata, cancellationToken), BatchTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Scans the narrowest index set the filter names (a tag first; with only <c>olderThan</c>, every strategy's set)
    /// with ZSCAN, checks each candidate's metadata hash against the whole filter, and removes the matches — entry,
    /// hash and set memberships — in one pipeline per batch of <c>500</c>. Members whose entry has gone are dropped
    /// from the set on the way.
    /// </remarks>
    public async IAsyncEnumerable<IReadOnlyList<string>> PurgeAsync(PurgeFilter filter, bool dryRun, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var database = await Bounded.WaitAsync(_connection.GetDatabaseAsync(cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        var sets = DrivingSets(filter);
        // An entry whose strategy changed is a member of two strategy sets until the older membership expires.
        var seen = sets.Count > 1 ? new HashSet<string>(StringComparer.Ordinal) : null;
        foreach (var set in sets)
        {
            var candidates = new List<string>(PurgeBatchSize);
            var scan = database.SortedSetScanAsync(set, pageSize: PurgeBatchSize).GetAsyncEnumerator(cancellationToken);
            await using (scan.ConfigureAwait(false))
            {
                while (true)
                {
                    var more = await Bounded.WaitAsync(scan.MoveNextAsync().AsTask(), BatchTimeout, cancellationToken).ConfigureAwait(false);
                    if (more && (string?)scan.Current.Element is { } member && (seen?.Add(member) ?? true))
                    {
                        candidates.Add(member);
                    }

                    if (candidates.Count == PurgeBatchSize || (!more && candidates.Count > 0))
                    {
                        var matched = await Bounded.WaitAsync(PurgeBatchAsync(database, set, candidates, filter, dryRun), BatchTimeout, cancellationToken).ConfigureAwait(false);
                        candidates = new List<string>(PurgeBatchSize);
                        if (matched.Count > 0)
                        {
                            yield return matched;
                        }
                    }

                    if (!more)
                    {
                        break;
                    }
                }
            }
        }
    }

    private async Task SetIndexedCoreAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, EntryMetadata metadata, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var prefix = _options.KeyPrefix;
        var ttl = Ttl(expiresAt) ?? TimeSpan.FromMilliseconds(1);
        var meta = RedisKeys.EntryMetadata(prefix, key);

        // The entry and its metadata share a slot: one transaction, so neither exists without the other.
        var transaction = database.CreateTransaction();
        var writes = new[]
        {
            transaction.StringSetAsync(RedisKeys.Entry(prefix, key), (RedisValue)payload, ttl, When.Always),
            transaction.KeyDeleteAsync(meta),
            transaction.HashSetAsync(meta, Fields(metadata)),
            transaction.KeyExpireAsync(meta, ttl),
            transaction.KeyDeleteAsync(RedisKeys.Tombstone(prefix, key)),
        };
        await transaction.ExecuteAsync().ConfigureAwait(false);
        await Task.WhenAll(writes).ConfigureAwait(false);
    }

    // The sets live in other slots: pipelined after the transaction. A set that misses a member only makes a purge miss
    // that entry until it expires; a member without an entry is skipped and trimmed by the purge.
    private async Task IndexCoreAsync(string key, DateTimeOffset expiresAt, EntryMetadata metadata, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var writes = new List<Task>();
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var expires = expiresAt.ToUnixTimeMilliseconds();
        var setTtl = (long)Math.Ceiling((expiresAt - _timeProvider.GetUtcNow()).TotalMilliseconds);
        foreach (var set in Memberships(metadata))
        {
            writes.Add(database.ScriptEvaluateAsync(IndexScript, [set], [expires, key, setTtl, now]));
        }

        await Task.WhenAll(writes).ConfigureAwait(false);
    }

    /// <summary>Checks a batch of candidates against the filter and, unless a dry run, removes the matches.</summary>
    private async Task<List<string>> PurgeBatchAsync(IDatabase database, RedisKey set, List<string> candidates, PurgeFilter filter, bool dryRun)
    {
        var prefix = _options.KeyPrefix;
        var reads = candidates.Select(key => database.HashGetAllAsync(RedisKeys.EntryMetadata(prefix, key))).ToArray();
        var fields = await Task.WhenAll(reads).ConfigureAwait(false);
        var matched = new List<string>();
        var removals = new List<Task>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var key = candidates[i];
            if (Parse(fields[i]) is not { } metadata)
            {
                // The entry expired or was removed: its membership is all that is left.
                removals.Add(database.SortedSetRemoveAsync(set, key));
                continue;
            }

            if (!filter.Matches(metadata))
            {
                continue;
            }

            matched.Add(key);
            if (dryRun)
            {
                continue;
            }

            removals.Add(database.KeyDeleteAsync([RedisKeys.Entry(prefix, key), RedisKeys.EntryMetadata(prefix, key)]));
            removals.AddRange(Memberships(metadata).Select(member => database.SortedSetRemoveAsync(member, key)));
        }

        await Task.WhenAll(removals).ConfigureAwait(false);
        return matched;
    }

    /// <summary>The sets a purge scans: the one of the most selective filter given, else every strategy's.</summary>
    private List<RedisKey> DrivingSets(PurgeFilter filter)
    {
        var prefix = _options.KeyPrefix;
        var (dimension, value) = filter.Tag is { } tag ? ("tag", tag)
            : filter.Tenant is { } tenant ? ("tenant", tenant)
            : filter.Namespace is { } ns ? ("ns", ns)
            : filter.Model is { } model ? ("model", model)
            : filter.Context is { } context ? ("context", context)
            : filter.Strategy is { } strategy ? ("strategy", StrategyNames.ToHeader(strategy))
            : ("", "");
        return dimension.Length > 0
            ? [RedisKeys.IndexSet(prefix, dimension, value)]
            : [.. Strategies.Select(name => RedisKeys.IndexSet(prefix, "strategy", name))];
    }

    /// <summary>The index sets an entry with <paramref name="metadata"/> belongs to (empty values have none).</summary>
    private IEnumerable<RedisKey> Memberships(EntryMetadata metadata)
    {
        var prefix = _options.KeyPrefix;
        foreach (var tag in metadata.Tags)
        {
            yield return RedisKeys.IndexSet(prefix, "tag", tag);
        }

        foreach (var (dimension, value) in new[] { ("tenant", metadata.Tenant), ("ns", metadata.Namespace), ("model", metadata.Model), ("context", metadata.Context) })
        {
            if (value.Length > 0)
            {
                yield return RedisKeys.IndexSet(prefix, dimension, value);
            }
        }

        yield return RedisKeys.IndexSet(prefix, "strategy", StrategyNames.ToHeader(metadata.Strategy));
    }

    private static HashEntry[] Fields(EntryMetadata metadata) =>
    [
        new("tenant", metadata.Tenant),
        new("ns", metadata.Namespace),
        new("model", metadata.Model),
        new("strategy", StrategyNames.ToHeader(metadata.Strategy)),
        new("context", metadata.Context),
        new("created", metadata.CreatedAt.ToUnixTimeMilliseconds()),
        new("tags", string.Join(',', metadata.Tags)),
    ];

    /// <summary>The metadata in a hash, or null when there is none (or it is not this build's layout).</summary>
    private static EntryMetadata? Parse(HashEntry[] fields)
    {
        if (fields.Length == 0)
        {
            return null;
        }

        var values = fields.ToDictionary(f => (string)f.Name!, f => (string?)f.Value ?? "", StringComparer.Ordinal);
        if (!values.TryGetValue("strategy", out var strategyName) || !StrategyResolver.TryParseStrategy(strategyName, out var strategy)
            || !values.TryGetValue("created", out var created) || !long.TryParse(created, NumberStyles.None, CultureInfo.InvariantCulture, out var createdMs)
            || createdMs > MaxUnixMilliseconds)
        {
            return null;
        }

        var tags = values.GetValueOrDefault("tags", "");
        return new EntryMetadata(
            values.GetValueOrDefault("tenant", ""),
            values.GetValueOrDefault("ns", ""),
            values.GetValueOrDefault("model", ""),
            strategy,
            values.GetValueOrDefault("context", ""),
            DateTimeOffset.FromUnixTimeMilliseconds(createdMs),
            tags.Length == 0 ? CacheTags.None : tags.Split(','));
    }
}
