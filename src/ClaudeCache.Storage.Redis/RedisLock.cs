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
/// A held lock renews its lease every third of it (a compare-and-<c>PEXPIRE</c> script) until it is disposed, so
/// an answer that takes longer than one lease is still called once, and the lease can stay short: a dead holder stops
/// renewing and blocks others for at most one lease. Renewal and the waiters' deadline run on the
/// <see cref="TimeProvider"/>; Redis keeps the lease's own clock.
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

    // Extends the lock only when it still holds our token.
    private const string ExtendScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """;

    private static readonly TimeSpan MinPollInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxPollInterval = TimeSpan.FromMilliseconds(100);

    private readonly RedisConnection _connection;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the lock helper on a shared connection.</summary>
    /// <param name="connection">The shared Redis connection.</param>
    /// <param name="logger">Where release and renewal failures go.</param>
    /// <param name="timeProvider">Drives lease renewal and the waiters' deadline; the system clock when null.</param>
    public RedisLock(RedisConnection connection, ILogger<RedisLock>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    private RedisStoreOptions Options => _connection.Options;

    /// <summary>
    /// Takes the lock on <paramref name="hexKey"/> for <paramref name="lease"/>, or returns null when another instance
    /// holds it. The lease is renewed every third of it while the result is held; dispose the result to stop renewing
    /// and release the lock. Bounded by
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
        return acquired ? new RedisLockHandle(this, key, token, lease, _timeProvider) : null;
    }

    /// <summary>
    /// Waits until the entry for <paramref name="hexKey"/> exists or its lock is released, polling (10 ms, backing
    /// off to 100 ms), for at most <paramref name="maxWait"/> on the <see cref="TimeProvider"/>. A live holder renews
    /// its lease, so pass the longest a holder may legitimately take; a holder that died stops renewing and its lock
    /// expires within one lease, which ends the wait sooner.
    /// </summary>
    /// <returns>
    /// True when the entry exists (read it); false when the lock was released without one or the wait ran out (look
    /// again, then take the lock or call upstream).
    /// </returns>
    public async Task<bool> WaitForReleaseOrValueAsync(string hexKey, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hexKey);
        RedisKey[] keys = [RedisKeys.Lock(Options.KeyPrefix, hexKey), RedisKeys.Entry(Options.KeyPrefix, hexKey)];
        var started = _timeProvider.GetTimestamp();
        var interval = MinPollInterval;
        while (true)
        {
            var state = await Bounded.WaitAsync(ProbeCoreAsync(keys, cancellationToken), Options.OperationTimeout, cancellationToken).ConfigureAwait(false);
            if (state != 0)
            {
                return state == 2;
            }

            var left = maxWait - _timeProvider.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            // The pause paces network polls and decides nothing (the deadline above does), so it is a real delay:
            // on a frozen test clock the waiter must still see the holder's release.
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

    /// <summary>
    /// Extends a lock to <paramref name="lease"/> from now if <paramref name="token"/> still holds it. True when
    /// extended, false when the lock is no longer ours; throws when Redis fails.
    /// </summary>
    internal async Task<bool> ExtendAsync(RedisKey key, string token, TimeSpan lease)
    {
        var milliseconds = (long)lease.TotalMilliseconds;
        return await Bounded.WaitAsync(ExtendCoreAsync(key, token, milliseconds), Options.OperationTimeout, CancellationToken.None).ConfigureAwait(false) == 1;
    }

    internal ILogger Logger => _logger;

    private async Task<long> ExtendCoreAsync(RedisKey key, string token, long milliseconds)
    {
        var database = await _connection.GetDatabaseAsync(CancellationToken.None).ConfigureAwait(false);
        return (long)await database.ScriptEvaluateAsync(ExtendScript, [key], [token, milliseconds]).ConfigureAwait(false);
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
