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
/// <see cref="RedisStoreOptions.TtlJitter"/> so entries written together do not expire together. An entry whose
/// expiry has passed is not written, and replaces (removes) any older copy.
/// </para>
/// <para>
/// <b>No size statistics.</b> Counting the entries under a prefix means scanning every key of every primary
/// (DBSIZE counts other applications' keys too); use Redis's own <c>INFO memory</c> and <c>INFO keyspace</c>.
/// </para>
/// </remarks>
public sealed class RedisSecondTier : ISecondTier, IAsyncDisposable
{
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
    public async ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (payload.Length > _options.MaxEntryBytes)
        {
            // Refused, not failed: one huge answer must not occupy Redis memory (or a slow write) meant for many.
            Log.OversizedEntry(_logger, payload.Length, _options.MaxEntryBytes);
            return;
        }

        var redisKey = RedisKeys.Entry(_options.KeyPrefix, key);
        var ttl = expiresAt - _timeProvider.GetUtcNow();
        if (ttl <= TimeSpan.Zero)
        {
            await RemoveAsync(key, cancellationToken).ConfigureAwait(false);
            return;
        }

#pragma warning disable CA5394 // Jitter spreads expiry; it needs no cryptographic randomness.
        var jittered = RedisTtl.Apply(ttl, _options.TtlJitter, Random.Shared.NextDouble());
#pragma warning restore CA5394
        await Bounded.WaitAsync(SetCoreAsync(redisKey, payload, jittered, cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask RemoveAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var redisKey = RedisKeys.Entry(_options.KeyPrefix, key);
        await Bounded.WaitAsync(RemoveCoreAsync(redisKey, cancellationToken), _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disposes the connection when the tier created it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<RedisValue> GetCoreAsync(RedisKey key, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        return await database.StringGetAsync(key).ConfigureAwait(false);
    }

    private async Task SetCoreAsync(RedisKey key, ReadOnlyMemory<byte> payload, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        // RedisValue keeps a ReadOnlyMemory<byte> as is: no copy of the payload.
        await database.StringSetAsync(key, (RedisValue)payload, ttl, When.Always).ConfigureAwait(false);
    }

    private async Task RemoveCoreAsync(RedisKey key, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        await database.KeyDeleteAsync(key).ConfigureAwait(false);
    }
}
