using System.Buffers.Binary;
using System.Globalization;
using ClaudeCache.Caching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ClaudeCache.Storage.Redis;

/// <summary>
/// The distributed second tier: encoded entries as Redis strings under <c>{prefix}e:{hex}</c>, each with its own
/// expiry (PX), so Redis enforces lifetimes and any instance can read what another wrote.
/// </summary>
/// <remarks>
/// <para>
/// <b>Bounded.</b> Every operation, including waiting for the first connection, fails with
/// <see cref="TimeoutException"/> after <see cref="RedisStoreOptions.OperationTimeout"/>, and at once with a
/// <see cref="RedisConnectionException"/> while Redis is unreachable. The response cache turns both into a miss
/// (fail-open); nothing is swallowed here.
/// </para>
/// <para>
/// <b>Expiry.</b> The Redis time to live is the entry's remaining lifetime by the injected clock, shortened by up to
/// <see cref="RedisStoreOptions.TtlJitter"/> so entries written together do not expire together; it includes the
/// entry's grace (kept past its TTL to answer when the upstream fails, docs/serve-stale.md). An entry whose
/// expiry has passed is not written, and replaces (removes) any older copy. <c>{prefix}t:{hex}</c> holds, with an
/// expiry, why an entry was invalidated (its miss reason).
/// </para>
/// <para>
/// <b>Dictionaries.</b> Trained entry dictionaries live in one hash, <c>{prefix}dictionaries</c>, which expires
/// <see cref="RedisStoreOptions.DictionaryTimeToLive"/> after it was last saved or loaded (so it lives while any
/// instance runs; the response cache keeps only the newest few): field = the dictionary id in decimal, value = its creation time
/// as 8 bytes of Unix milliseconds (little-endian) followed by the dictionary. <c>{prefix}dictionaries:training</c>
/// (SET NX PX) names the instance that trains the current round.
/// </para>
/// <para>
/// <b>No size statistics.</b> Counting the entries under a prefix means scanning every key of every primary
/// (DBSIZE counts other applications' keys too); use Redis's own <c>INFO memory</c> and <c>INFO keyspace</c>.
/// </para>
/// </remarks>
public sealed partial class RedisSecondTier : ISecondTier, ITombstoneStore, IDictionaryStore, IAsyncDisposable
{
    private static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    private readonly RedisConnection _connection;
    private readonly bool _ownsConnection;
    private readonly RedisStoreOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Creates the tier on a shared connection, which it does not dispose.</summary>
    public RedisSecondTier(RedisConnection connection, TimeProvider timeProvider, ILogger<RedisSecondTier>? logger = null)
        : this(connection, ownsConnection: false, timeProvider, logger)
    {
    }

    /// <summary>Creates the tier with a connection of its own, disposed with the tier.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public RedisSecondTier(RedisStoreOptions options, TimeProvider timeProvider, ILogger<RedisSecondTier>? logger = null)
        : this(new RedisConnection(options), ownsConnection: true, timeProvider, logger)
    {
    }

    private RedisSecondTier(RedisConnection connection, bool ownsConnection, TimeProvider timeProvider, ILogger<RedisSecondTier>? logger)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _connection = connection;
        _ownsConnection = ownsConnection;
        _options = connection.Options;
        _timeProvider = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The connection this tier uses.</summary>
    public RedisConnection Connection => _connection;

    /// <inheritdoc />
    public async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var redisKey = RedisKeys.Entry(_options.KeyPrefix, key);
        var value = await Bounded.WaitAsync(GetCoreAsync(redisKey, cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        return (byte[]?)value;
    }

    /// <inheritdoc />
    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        SetAsync(key, payload, expiresAt, expiresAt, cancellationToken);

    /// <summary>
    /// Stores an entry whose Redis time to live runs to <paramref name="keepUntil"/> (its TTL plus its grace, so an
    /// expired entry can still answer when the upstream fails; docs/serve-stale.md). Redis's own <c>maxmemory-policy</c>
    /// decides what goes under memory pressure. A stored entry ends its key's tombstone.
    /// </summary>
    public async ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, DateTimeOffset keepUntil, CancellationToken cancellationToken)
    {
        expiresAt = keepUntil > expiresAt ? keepUntil : expiresAt;
        ArgumentNullException.ThrowIfNull(key);
        if (payload.Length > _options.MaxEntryBytes)
        {
            // Refused, not failed: one huge answer must not occupy Redis memory (or a slow write) meant for many.
            Log.OversizedEntry(_logger, payload.Length, _options.MaxEntryBytes);
            return;
        }

        var redisKey = RedisKeys.Entry(_options.KeyPrefix, key);
        if (Ttl(expiresAt) is not { } jittered)
        {
            await RemoveAsync(key, cancellationToken).ConfigureAwait(false);
            return;
        }

        var tombstone = RedisKeys.Tombstone(_options.KeyPrefix, key);
        await Bounded.WaitAsync(SetCoreAsync(redisKey, tombstone, payload, jittered, cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The Redis time to live of an entry expiring at <paramref name="expiresAt"/> (jittered), or null when it has expired.</summary>
    private TimeSpan? Ttl(DateTimeOffset expiresAt)
    {
        var ttl = expiresAt - _timeProvider.GetUtcNow();
#pragma warning disable CA5394 // Jitter spreads expiry; it needs no cryptographic randomness.
        return ttl <= TimeSpan.Zero ? null : RedisTtl.Apply(ttl, _options.TtlJitter, Random.Shared.NextDouble());
#pragma warning restore CA5394
    }

    /// <inheritdoc />
    public async ValueTask RemoveAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        // The purge index's metadata goes with the entry (same slot, one command); set memberships are trimmed later.
        RedisKey[] keys = [RedisKeys.Entry(_options.KeyPrefix, key), RedisKeys.EntryMetadata(_options.KeyPrefix, key)];
        await Bounded.WaitAsync(RemoveCoreAsync(keys, cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask SetTombstoneAsync(string key, MissReason reason, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var ttl = until - _timeProvider.GetUtcNow();
        if (ttl <= TimeSpan.Zero)
        {
            return;
        }

        var redisKey = RedisKeys.Tombstone(_options.KeyPrefix, key);
        await Bounded.WaitAsync(SetTombstoneCoreAsync(redisKey, reason.ToHeader(), ttl, cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<MissReason?> GetTombstoneAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var redisKey = RedisKeys.Tombstone(_options.KeyPrefix, key);
        var value = await Bounded.WaitAsync(GetCoreAsync(redisKey, cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        return MissReasonNames.TryParse((string?)value, out var reason) ? reason : null;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StoredDictionary>> LoadDictionariesAsync(CancellationToken cancellationToken)
    {
        var fields = await Bounded.WaitAsync(DictionariesCoreAsync(cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        var dictionaries = new List<StoredDictionary>(fields.Length);
        foreach (var field in fields)
        {
            if (uint.TryParse(field.Name.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) &&
                ParseDictionary(id, field.Value) is { } dictionary)
            {
                dictionaries.Add(dictionary);
            }
        }

        return dictionaries;
    }

    /// <inheritdoc />
    public async ValueTask<StoredDictionary?> GetDictionaryAsync(uint id, CancellationToken cancellationToken)
    {
        var value = await Bounded.WaitAsync(DictionaryCoreAsync(id, cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        return ParseDictionary(id, value);
    }

    /// <inheritdoc />
    public async ValueTask SaveDictionaryAsync(StoredDictionary dictionary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        var value = new byte[8 + dictionary.Bytes.Length];
        BinaryPrimitives.WriteInt64LittleEndian(value, dictionary.CreatedAt.ToUnixTimeMilliseconds());
        dictionary.Bytes.CopyTo(value, 8);
        await Bounded.WaitAsync(SaveDictionaryCoreAsync(dictionary.Id, value, cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryClaimTrainingAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return await Bounded.WaitAsync(ClaimTrainingCoreAsync(owner, lease, cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask RemoveDictionaryAsync(uint id, CancellationToken cancellationToken) =>
        await Bounded.WaitAsync(RemoveDictionaryCoreAsync(id, cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);

    /// <summary>Disposes the connection when the tier created it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One field of the hash; a value this build cannot read (damaged, or a future layout) is skipped, not thrown.</summary>
    private static StoredDictionary? ParseDictionary(uint id, RedisValue value)
    {
        var bytes = (byte[]?)value;
        if (bytes is not { Length: > 8 })
        {
            return null;
        }

        var created = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        return created >= 0 && created <= MaxUnixMilliseconds
            ? new StoredDictionary(id, bytes[8..], DateTimeOffset.FromUnixTimeMilliseconds(created))
            : null;
    }

    private static RedisValue Field(uint id) => id.ToString(CultureInfo.InvariantCulture);

    private async Task<HashEntry[]> DictionariesCoreAsync(CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var key = RedisKeys.Dictionaries(_options.KeyPrefix);
        var fields = await database.HashGetAllAsync(key).ConfigureAwait(false);
        // In use: pushed forward, not awaited (fire-and-forget costs the load nothing).
        _ = database.KeyExpireAsync(key, _options.DictionaryTimeToLive, CommandFlags.FireAndForget);
        return fields;
    }

    private async Task<RedisValue> DictionaryCoreAsync(uint id, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        return await database.HashGetAsync(RedisKeys.Dictionaries(_options.KeyPrefix), Field(id)).ConfigureAwait(false);
    }

    private async Task SaveDictionaryCoreAsync(uint id, byte[] value, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var key = RedisKeys.Dictionaries(_options.KeyPrefix);
        var transaction = database.CreateTransaction();
        var set = transaction.HashSetAsync(key, Field(id), value, When.NotExists);
        var expire = transaction.KeyExpireAsync(key, _options.DictionaryTimeToLive);
        await transaction.ExecuteAsync().ConfigureAwait(false);
        await Task.WhenAll(set, expire).ConfigureAwait(false);
    }

    private async Task<bool> ClaimTrainingCoreAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        return await database.StringSetAsync(RedisKeys.DictionaryTraining(_options.KeyPrefix), owner, lease, When.NotExists).ConfigureAwait(false);
    }

    private async Task RemoveDictionaryCoreAsync(uint id, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        await database.HashDeleteAsync(RedisKeys.Dictionaries(_options.KeyPrefix), Field(id)).ConfigureAwait(false);
    }

    private async Task<RedisValue> GetCoreAsync(RedisKey key, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        return await database.StringGetAsync(key).ConfigureAwait(false);
    }

    private async Task SetCoreAsync(RedisKey key, RedisKey tombstone, ReadOnlyMemory<byte> payload, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        // RedisValue keeps a ReadOnlyMemory<byte> as is: no copy of the payload.
        await database.StringSetAsync(key, (RedisValue)payload, ttl, When.Always).ConfigureAwait(false);
        // The key answers again: whatever made it go away no longer explains a miss (not awaited; bookkeeping).
        _ = database.KeyDeleteAsync(tombstone, CommandFlags.FireAndForget);
    }

    private async Task SetTombstoneCoreAsync(RedisKey key, string reason, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        await database.StringSetAsync(key, reason, ttl, When.Always).ConfigureAwait(false);
    }

    private async Task RemoveCoreAsync(RedisKey[] keys, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        await database.KeyDeleteAsync(keys).ConfigureAwait(false);
    }
}
