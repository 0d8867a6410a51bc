using ClaudeCache.Storage.Redis;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Tests.Storage.Redis;

public sealed class RedisLockTests(RedisServerFixture fixture) : IAsyncLifetime
{
    private RedisConnection _first = null!;
    private RedisConnection _second = null!;

    // Only catches a hang: every wait below ends on an event (a probe, a release, an expiry, a clock advance).
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>A holder whose process stopped: its clock never ticks, so it never renews its lease.</summary>
    private RedisLock DeadHolder => new(_first, timeProvider: new FakeTimeProvider());

    public async ValueTask InitializeAsync()
    {
        // Two multiplexers on one prefix: two instances competing for the same keys.
        var options = TestRedis.Options(fixture.Server.EndPoint);
        _first = new RedisConnection(options);
        _second = new RedisConnection(options);
        await Task.WhenAll(_first.ConnectAsync(Token), _second.ConnectAsync(Token));
    }

    public async ValueTask DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    [Fact]
    public async Task TryAcquire_ConcurrentAcquirers_OnlyOneWins()
    {
        var locks = new[] { new RedisLock(_first), new RedisLock(_second) };
        var key = TestRedis.NewKey();

        var results = await Task.WhenAll(Enumerable.Range(0, 16)
            .Select(i => locks[i % 2].TryAcquireAsync(key, TimeSpan.FromSeconds(10), Token)));

        Assert.Single(results, handle => handle is not null);
    }

    [Fact]
    public async Task Release_LetsTheNextAcquirerIn()
    {
        var a = new RedisLock(_first);
        var b = new RedisLock(_second);
        var key = TestRedis.NewKey();
        var held = await a.TryAcquireAsync(key, TimeSpan.FromSeconds(10), Token);
        Assert.NotNull(held);
        Assert.Null(await b.TryAcquireAsync(key, TimeSpan.FromSeconds(10), Token));

        await held.DisposeAsync();

        Assert.NotNull(await b.TryAcquireAsync(key, TimeSpan.FromSeconds(10), Token));
    }

    [Fact]
    public async Task Release_AfterTheLeaseExpiredAndAnotherInstanceTookIt_LeavesTheirLock()
    {
        var a = DeadHolder;
        var b = new RedisLock(_second);
        var key = TestRedis.NewKey();
        var stale = await a.TryAcquireAsync(key, TimeSpan.FromMilliseconds(100), Token);
        Assert.NotNull(stale);
        // Redis owns the lease's clock: wait until it has expired the key.
        var database = await _first.GetDatabaseAsync(Token);
        await UntilAsync(async () => !await database.KeyExistsAsync(LockKey(key)), "Redis expired the stale lease");

        var current = await b.TryAcquireAsync(key, TimeSpan.FromSeconds(10), Token);
        Assert.NotNull(current);

        await stale.DisposeAsync();

        Assert.Null(await a.TryAcquireAsync(key, TimeSpan.FromSeconds(10), Token));
    }

    [Fact]
    public async Task Wait_HolderThatDiedWithoutReleasing_EndsWhenRedisExpiresItsLease_NotAtMaxWait()
    {
        var key = TestRedis.NewKey();
        Assert.NotNull(await DeadHolder.TryAcquireAsync(key, TimeSpan.FromMinutes(10), Token));
        var waiterClock = new ReadCountingClock(); // frozen: the waiter's deadline never passes
        var waiting = new RedisLock(_second, timeProvider: waiterClock).WaitForReleaseOrValueAsync(key, TimeSpan.FromSeconds(5), Token);
        await UntilAsync(() => waiterClock.Reads >= 2, "the waiter found the lock held");

        // The holder's lease runs out: Redis expires the key, nobody releases it.
        var database = await _first.GetDatabaseAsync(Token);
        Assert.True(await database.KeyExpireAsync(LockKey(key), TimeSpan.FromMilliseconds(1)));

        Assert.False(await waiting.WaitAsync(NoHang, Token));
        Assert.False(await database.KeyExistsAsync(LockKey(key)));
    }

    [Fact]
    public async Task HeldLock_IsRenewedPastItsLease_UntilDisposed()
    {
        var key = TestRedis.NewKey();
        var lease = TimeSpan.FromSeconds(2);
        var holderClock = new FakeTimeProvider();
        var held = await new RedisLock(_first, timeProvider: holderClock).TryAcquireAsync(key, lease, Token);
        Assert.NotNull(held);
        var database = await _first.GetDatabaseAsync(Token);

        // Three times: Redis runs half the lease down, then the holder's renewal (a third of the lease on its clock)
        // sets it back to a whole lease. One and a half leases pass in Redis; without renewal the key would be gone.
        for (var renewal = 1; renewal <= 3; renewal++)
        {
            await UntilAsync(async () => await database.KeyTimeToLiveAsync(LockKey(key)) is { } ttl && ttl < lease / 2, "half the lease ran down");
            holderClock.Advance(lease / 3);
            var expected = renewal;
            await UntilAsync(() => ((RedisLockHandle)held).Renewals == expected, $"renewal {expected}");
            Assert.True(await database.KeyTimeToLiveAsync(LockKey(key)) > lease / 2, "the renewal did not extend the lease");
        }

        Assert.Null(await new RedisLock(_second).TryAcquireAsync(key, lease, Token));

        await held.DisposeAsync();
        holderClock.Advance(lease);

        Assert.Equal(3, ((RedisLockHandle)held).Renewals);
        Assert.NotNull(await new RedisLock(_second).TryAcquireAsync(key, lease, Token));
    }

    [Fact]
    public async Task Wait_IsBoundedByMaxWait()
    {
        var key = TestRedis.NewKey();
        Assert.NotNull(await new RedisLock(_first).TryAcquireAsync(key, TimeSpan.FromSeconds(30), Token));
        var waiterClock = new ReadCountingClock();
        var waiting = new RedisLock(_second, timeProvider: waiterClock).WaitForReleaseOrValueAsync(key, TimeSpan.FromMilliseconds(300), Token);

        // Two probes found the lock held, each followed by a look at the (frozen) deadline: still waiting.
        await UntilAsync(() => waiterClock.Reads >= 3, "the waiter probed twice");
        Assert.False(waiting.IsCompleted);

        waiterClock.Advance(TimeSpan.FromMilliseconds(300));

        Assert.False(await waiting.WaitAsync(NoHang, Token));
        Assert.Null(await new RedisLock(_second).TryAcquireAsync(key, TimeSpan.FromSeconds(1), Token)); // still held: the deadline ended it
    }

    [Fact]
    public async Task Wait_EntryWrittenByTheHolder_ReturnsTrue()
    {
        var key = TestRedis.NewKey();
        var held = await new RedisLock(_first).TryAcquireAsync(key, TimeSpan.FromSeconds(30), Token);
        Assert.NotNull(held);
        var waiterClock = new ReadCountingClock();
        var waiting = new RedisLock(_second, timeProvider: waiterClock).WaitForReleaseOrValueAsync(key, TimeSpan.FromSeconds(5), Token);
        await UntilAsync(() => waiterClock.Reads >= 2, "the waiter found the lock held");

        await new RedisSecondTier(_first, TimeProvider.System).SetAsync(key, TestRedis.Payload(10), DateTimeOffset.UtcNow.AddHours(1), Token);
        await held.DisposeAsync();

        Assert.True(await waiting.WaitAsync(NoHang, Token));
    }

    [Fact]
    public async Task Wait_ReleasedWithoutAnEntry_ReturnsFalseWithoutWaitingForMaxWait()
    {
        var key = TestRedis.NewKey();
        var held = await new RedisLock(_first).TryAcquireAsync(key, TimeSpan.FromSeconds(30), Token);
        Assert.NotNull(held);
        var waiterClock = new ReadCountingClock(); // frozen: only the release can end the wait
        var waiting = new RedisLock(_second, timeProvider: waiterClock).WaitForReleaseOrValueAsync(key, TimeSpan.FromSeconds(30), Token);
        await UntilAsync(() => waiterClock.Reads >= 2, "the waiter found the lock held");

        await held.DisposeAsync();

        Assert.False(await waiting.WaitAsync(NoHang, Token));
    }

    [Fact]
    public async Task Wait_NoLockAndNoEntry_ReturnsAtOnce() =>
        Assert.False(await new RedisLock(_first).WaitForReleaseOrValueAsync(TestRedis.NewKey(), TimeSpan.FromSeconds(30), Token));

    private string LockKey(string key) => $"{_first.Options.KeyPrefix}l:{{{key}}}";

    private static async Task UntilAsync(Func<bool> condition, string what) => await UntilAsync(() => Task.FromResult(condition()), what);

    /// <summary>Polls <paramref name="condition"/>; fails only if it is still false after <see cref="NoHang"/>.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(NoHang);
        while (!await condition())
        {
            Assert.False(timeout.IsCancellationRequested, $"timed out waiting until {what}");
            await Task.Delay(5, Token);
        }
    }

    /// <summary>
    /// A test clock (frozen unless advanced) that counts its reads: a waiter reads it once as it starts and once after
    /// every probe that found the lock still held, so the count says how far the waiter got.
    /// </summary>
    private sealed class ReadCountingClock : FakeTimeProvider
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public override long GetTimestamp()
        {
            Interlocked.Increment(ref _reads);
            return base.GetTimestamp();
        }
    }
}
