using ClaudeCache.Caching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ClaudeCache.Storage.Redis;

/// <summary>
/// A lease-based distributed lock for coalescing across instances: one instance computes an answer while the others
/// wait for it to appear in the second tier.
/// </summary>
/// <remarks>
/// <para>
/// The lock is <c>{prefix}l:{hex}</c>, set with <c>SET … NX PX lease</c> to a random token. Only the holder of the
/// token can release it (a compare-and-delete script), so a holder whose lease ran out cannot release a lock another
/// instance has taken since. A holder that dies blocks nobody beyond its lease: Redis expires the key.
/// </para>
/// <para>
/// This is a single-primary lock (not Redlock): on a failover a lease may be lost and two instances may call
/// upstream for the same key. For a cache that costs one duplicate call, never a wrong answer, so the stronger
/// algorithm's extra round trips are not worth it.
/// </para>
/// </remarks>
public sealed class RedisLock : IDistributedCoalescer
{
    // Deletes the lock only when it still holds our token.
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    // 2: the entry exists; 1: no entry and the lock is gone; 0: still locked. Both keys share the hash tag, so this
    // one round trip works in a cluster too.
    private const string ProbeScript = """
        if redis.call('EXISTS', KEYS[2]) == 1 then
            return 2
        end
        if redis.call('EXISTS', KEYS[1]) == 0 then
            return 1
        end
        return 0
        """;

    private static readonly TimeSpan MinPollInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxPollInterval = TimeSpan.FromMilliseconds(100);

    private readonly RedisConnection _connection;
    private readonly ILogger _logger;

    /// <summary>Creates the lock helper on a shared connection.</summary>
    public RedisLock(RedisConnection connection, ILogger<RedisLock>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    private RedisStoreOptions Options => _connection.Options;

    /// <summary>
    /// Takes the lock on <paramref name="hexKey"/> for <paramref name="lease"/>, or returns null when another instance
    /// holds it. Dispose the result to release the lock early. Bounded by
    /// <see cref="RedisStoreOptions.OperationTimeout"/>; throws when Redis fails (the caller then proceeds alone).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lease"/> is under a millisecond.</exception>
    public async Task<IAsyncDisposable?> TryAcquireAsync(string hexKey, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hexKey);
        ArgumentOutOfRangeException.ThrowIfLessThan(lease, TimeSpan.FromMilliseconds(1));
        var key = RedisKeys.Lock(Options.KeyPrefix, hexKey);
        var token = Guid.NewGuid().ToString("N");
        var acquired = await Bounded.WaitAsync(AcquireCoreAsync(key, token, lease, cancellationToken), Options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        return acquired ? new RedisLockHandle(this, key, token) : null;
    }

    /// <summary>
    /// Waits until the entry for <paramref name="hexKey"/> exists or its lock is released, polling (10 ms, backing
    /// off to 100 ms), for at most <paramref name="maxWait"/> — pass the holder's lease, so a holder that died costs
    /// its waiters no more than that.
    /// </summary>
    /// <returns>
    /// True when the entry exists (read it); false when the lock was released without one or the wait ran out (look
    /// again, then take the lock or call upstream).
    /// </returns>
    public async Task<bool> WaitForReleaseOrValueAsync(string hexKey, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hexKey);
        RedisKey[] keys = [RedisKeys.Lock(Options.KeyPrefix, hexKey), RedisKeys.Entry(Options.KeyPrefix, hexKey)];
        var deadline = DateTimeOffset.UtcNow + maxWait;
        var interval = MinPollInterval;
        while (true)
        {
            var state = await Bounded.WaitAsync(ProbeCoreAsync(keys, cancellationToken), Options.OperationTimeout, cancellationToken).ConfigureAwait(false);
            if (state != 0)
            {
                return state == 2;
            }

            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            await Task.Delay(interval < left ? interval : left, cancellationToken).ConfigureAwait(false);
            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, MaxPollInterval.Ticks));
        }
    }

    /// <summary>Releases a lock if <paramref name="token"/> still holds it; failures are logged (the lease ends it).</summary>
    internal async ValueTask ReleaseAsync(RedisKey key, string token)
    {
        try
        {
            await Bounded.WaitAsync(ReleaseCoreAsync(key, token), Options.OperationTimeout, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Log.LockReleaseFailed(_logger, ex);
        }
    }

    private async Task<bool> AcquireCoreAsync(RedisKey key, string token, TimeSpan lease, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        return await database.StringSetAsync(key, token, lease, When.NotExists).ConfigureAwait(false);
    }

    private async Task<long> ProbeCoreAsync(RedisKey[] keys, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        return (long)await database.ScriptEvaluateAsync(ProbeScript, keys).ConfigureAwait(false);
    }

    private async Task<long> ReleaseCoreAsync(RedisKey key, string token)
    {
        var database = await _connection.GetDatabaseAsync(CancellationToken.None).ConfigureAwait(false);
        return (long)await database.ScriptEvaluateAsync(ReleaseScript, [key], [token]).ConfigureAwait(false);
    }
}
