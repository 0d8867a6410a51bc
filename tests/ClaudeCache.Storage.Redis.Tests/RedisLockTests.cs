using System.Diagnostics;
using ClaudeCache.Storage.Redis;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Tests.Storage.Redis;

public sealed class RedisLockTests(RedisServerFixture fixture) : IAsyncLifetime
{
    private RedisConnection _first = null!;
    private RedisConnection _second = null!;

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
        while (await database.KeyExistsAsync($"{_first.Options.KeyPrefix}l:{{{key}}}"))
        {
            await Task.Delay(10, Token);
        }

        var current = await b.TryAcquireAsync(key, TimeSpan.FromSeconds(10), Token);
        Assert.NotNull(current);

        await stale.DisposeAsync();

        Assert.Null(await a.TryAcquireAsync(key, TimeSpan.FromSeconds(10), Token));
    }

    [Fact]
    public async Task Wait_HolderThatDiedWithoutReleasing_BlocksNoLongerThanItsLease()
    {
        var key = TestRedis.NewKey();
        var lease = TimeSpan.FromMilliseconds(400);
        Assert.NotNull(await DeadHolder.TryAcquireAsync(key, lease, Token));
        var stopwatch = Stopwatch.StartNew();

        var hasValue = await new RedisLock(_second).WaitForReleaseOrValueAsync(key, TimeSpan.FromSeconds(5), Token);

        Assert.False(hasValue);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(300), lease + TimeSpan.FromMilliseconds(400));
    }

    [Fact]
    public async Task HeldLock_IsRenewedPastItsLease_UntilDisposed()
    {
        var key = TestRedis.NewKey();
        var lease = TimeSpan.FromMilliseconds(300);
        var held = await new RedisLock(_first).TryAcquireAsync(key, lease, Token);
        Assert.NotNull(held);

        // Four leases long: without renewal the key expires after the first and another instance takes it.
        var waiting = new RedisLock(_second).WaitForReleaseOrValueAsync(key, lease * 4, Token);
        Assert.False(await waiting);
        Assert.Null(await new RedisLock(_second).TryAcquireAsync(key, lease, Token));
        Assert.True(((RedisLockHandle)held).Renewals >= 3);

        await held.DisposeAsync();

        Assert.NotNull(await new RedisLock(_second).TryAcquireAsync(key, lease, Token));
    }

    [Fact]
    public async Task Wait_IsBoundedByMaxWait()
    {
        var key = TestRedis.NewKey();
        Assert.NotNull(await new RedisLock(_first).TryAcquireAsync(key, TimeSpan.FromSeconds(30), Token));
        var stopwatch = Stopwatch.StartNew();

        var hasValue = await new RedisLock(_second).WaitForReleaseOrValueAsync(key, TimeSpan.FromMilliseconds(300), Token);

        Assert.False(hasValue);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(900));
    }

    [Fact]
    public async Task Wait_EntryWrittenByTheHolder_ReturnsTrue()
    {
        var key = TestRedis.NewKey();
        var held = await new RedisLock(_first).TryAcquireAsync(key, TimeSpan.FromSeconds(30), Token);
        Assert.NotNull(held);
        var waiting = new RedisLock(_second).WaitForReleaseOrValueAsync(key, TimeSpan.FromSeconds(5), Token);

        await Task.Delay(100, Token);
        await new RedisSecondTier(_first, TimeProvider.System).SetAsync(key, TestRedis.Payload(10), DateTimeOffset.UtcNow.AddHours(1), Token);
        await held.DisposeAsync();

        Assert.True(await waiting);
    }

    [Fact]
    public async Task Wait_ReleasedWithoutAnEntry_ReturnsFalsePromptly()
    {
        var key = TestRedis.NewKey();
        var held = await new RedisLock(_first).TryAcquireAsync(key, TimeSpan.FromSeconds(30), Token);
        Assert.NotNull(held);
        var stopwatch = Stopwatch.StartNew();
        var waiting = new RedisLock(_second).WaitForReleaseOrValueAsync(key, TimeSpan.FromSeconds(30), Token);

        await Task.Delay(100, Token);
        await held.DisposeAsync();

        Assert.False(await waiting);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Wait_NoLockAndNoEntry_ReturnsAtOnce() =>
        Assert.False(await new RedisLock(_first).WaitForReleaseOrValueAsync(TestRedis.NewKey(), TimeSpan.FromSeconds(30), Token));
}
