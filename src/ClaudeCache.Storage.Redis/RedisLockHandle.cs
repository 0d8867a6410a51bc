using StackExchange.Redis;

namespace ClaudeCache.Storage.Redis;

/// <summary>
/// A held <see cref="RedisLock"/>: renews its lease every third of it until disposed; disposing stops the renewal
/// and releases the lock, once.
/// </summary>
/// <remarks>
/// A third leaves two renewal attempts before the lease runs out, so one slow or failed round trip does not lose it.
/// When a renewal finds the lock no longer ours (it expired while this process stalled, and another instance took
/// it), renewing stops: that instance now calls upstream too, which costs one duplicate call, never a wrong answer.
/// </remarks>
internal sealed class RedisLockHandle : IAsyncDisposable
{
    private readonly RedisLock _owner;
    private readonly RedisKey _key;
    private readonly string _token;
    private readonly TimeSpan _lease;
    private readonly ITimer _renewal;
    private int _released;
    private int _renewing;

    public RedisLockHandle(RedisLock owner, RedisKey key, string token, TimeSpan lease, TimeProvider timeProvider)
    {
        _owner = owner;
        _key = key;
        _token = token;
        _lease = lease;
        var period = lease / 3;
        _renewal = timeProvider.CreateTimer(static state => ((RedisLockHandle)state!).Renew(), this, period, period);
    }

    /// <summary>The token stored in the lock key (for tests).</summary>
    internal string Token => _token;

    /// <summary>Renewals that extended the lease (for tests).</summary>
    internal int Renewals => Volatile.Read(ref _renewals);

    private int _renewals;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        await _renewal.DisposeAsync().ConfigureAwait(false);
        await _owner.ReleaseAsync(_key, _token).ConfigureAwait(false);
    }

    private void Renew()
    {
        // One renewal at a time: a round trip slower than the period skips a tick rather than piling up.
        if (Volatile.Read(ref _released) != 0 || Interlocked.CompareExchange(ref _renewing, 1, 0) != 0)
        {
            return;
        }

        _ = RenewAsync();
    }

    private async Task RenewAsync()
    {
        try
        {
            if (await _owner.ExtendAsync(_key, _token, _lease).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _renewals);
            }
            else if (Volatile.Read(ref _released) == 0)
            {
                Log.LockLost(_owner.Logger);
                _renewal.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
        catch (ObjectDisposedException)
        {
            _renewal.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan); // the connection is gone for good
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.LockRenewalFailed(_owner.Logger, ex); // the next tick tries again while the lease lasts
        }
        finally
        {
            Volatile.Write(ref _renewing, 0);
        }
    }
}
