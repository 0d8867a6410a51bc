using ClaudeCache.Storage.Redis;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Tests.Storage.Redis;

public sealed class RedisSecondTierTests(RedisServerFixture fixture) : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2025, 11, 3, 8, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private RedisConnection _connection = null!;
    private RedisSecondTier _tier = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _connection = new RedisConnection(TestRedis.Options(fixture.Server.EndPoint));
        _tier = new RedisSecondTier(_connection, _time);
        await _connection.ConnectAsync(Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _tier.DisposeAsync();
        await _connection.DisposeAsync();
    }

    [Fact]
    public async Task SetThenGet_ReturnsThePayload()
    {
        var key = TestRedis.NewKey();
        var payload = TestRedis.Payload(3000);

        await _tier.SetAsync(key, payload, Start.AddHours(1), Token);

        Assert.Equal(payload, await _tier.GetAsync(key, Token));
    }

    [Fact]
    public async Task Get_AbsentKey_ReturnsNull() =>
        Assert.Null(await _tier.GetAsync(TestRedis.NewKey(), Token));

    [Fact]
    public async Task Set_ExistingKey_ReplacesThePayload()
    {
        var key = TestRedis.NewKey();
        await _tier.SetAsync(key, TestRedis.Payload(100), Start.AddHours(1), Token);

        await _tier.SetAsync(key, TestRedis.Payload(40, seed: 9), Start.AddHours(1), Token);

        Assert.Equal(TestRedis.Payload(40, seed: 9), await _tier.GetAsync(key, Token));
    }

    [Fact]
    public async Task Set_SliceOfALargerArray_StoresOnlyTheSlice()
    {
        var key = TestRedis.NewKey();
        var buffer = TestRedis.Payload(100);

        await _tier.SetAsync(key, buffer.AsMemory(10, 50), Start.AddHours(1), Token);

        Assert.Equal(buffer[10..60], await _tier.GetAsync(key, Token));
    }

    [Fact]
    public async Task Remove_DeletesTheEntry_AndAbsentKeyIsNoError()
    {
        var key = TestRedis.NewKey();
        await _tier.SetAsync(key, TestRedis.Payload(10), Start.AddHours(1), Token);

        await _tier.RemoveAsync(key, Token);
        await _tier.RemoveAsync(TestRedis.NewKey(), Token);

        Assert.Null(await _tier.GetAsync(key, Token));
    }

    [Fact]
    public async Task Set_WritesUnderThePrefixedHashTaggedKey()
    {
        var key = TestRedis.NewKey();

        await _tier.SetAsync(key, TestRedis.Payload(10), Start.AddHours(1), Token);

        var database = await _connection.GetDatabaseAsync(Token);
        Assert.True(await database.KeyExistsAsync($"{_connection.Options.KeyPrefix}e:{{{key}}}"));
    }

    [Fact]
    public async Task Set_ShortTtl_RedisExpiresTheEntry()
    {
        // Redis owns this clock: the entry gets the remaining 300 ms as its Redis TTL, and Redis removes it by itself.
        var key = TestRedis.NewKey();
        await _tier.SetAsync(key, TestRedis.Payload(10), Start.AddMilliseconds(300), Token);
        var database = await _connection.GetDatabaseAsync(Token);
        var ttl = await database.KeyTimeToLiveAsync(RedisKeys.Entry(_connection.Options.KeyPrefix, key));
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(300));

        // Poll until Redis expires it; the deadline only catches an entry that never expires.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (await _tier.GetAsync(key, Token) is not null)
        {
            Assert.False(timeout.IsCancellationRequested, "Redis never expired the entry");
            await Task.Delay(10, Token);
        }

        Assert.False(await database.KeyExistsAsync(RedisKeys.Entry(_connection.Options.KeyPrefix, key)));
    }

    [Fact]
    public async Task Set_TtlIsTheRemainingLifetime_ShortenedByAtMostTheJitter()
    {
        var database = await _connection.GetDatabaseAsync(Token);
        var ttls = new List<double>();
        for (var i = 0; i < 40; i++)
        {
            var key = TestRedis.NewKey();
            await _tier.SetAsync(key, TestRedis.Payload(10), Start.AddMinutes(10), Token);
            var ttl = await database.KeyTimeToLiveAsync(RedisKeys.Entry(_connection.Options.KeyPrefix, key));
            ttls.Add(ttl!.Value.TotalMilliseconds);
        }

        // 10 min less at most 5 %, less a little for the time between SET and PTTL.
        Assert.All(ttls, ttl => Assert.InRange(ttl, 570_000 - 1_000, 600_000));
        Assert.True(ttls.Max() - ttls.Min() > 1_000, "the jitter spreads the expiries");
    }

    [Fact]
    public async Task Set_WithoutJitter_TtlIsExact()
    {
        await using var connection = new RedisConnection(TestRedis.Options(fixture.Server.EndPoint, o => o.TtlJitter = 0));
        var tier = new RedisSecondTier(connection, _time);
        var key = TestRedis.NewKey();

        await tier.SetAsync(key, TestRedis.Payload(10), Start.AddMinutes(10), Token);

        var database = await connection.GetDatabaseAsync(Token);
        var ttl = await database.KeyTimeToLiveAsync(RedisKeys.Entry(connection.Options.KeyPrefix, key));
        Assert.InRange(ttl!.Value.TotalMilliseconds, 599_000, 600_000);
    }

    [Fact]
    public async Task Set_AlreadyExpired_IsNotStored_AndRemovesTheOlderCopy()
    {
        var key = TestRedis.NewKey();
        await _tier.SetAsync(key, TestRedis.Payload(10), Start.AddHours(1), Token);

        await _tier.SetAsync(key, TestRedis.Payload(10), Start.AddSeconds(-1), Token);

        Assert.Null(await _tier.GetAsync(key, Token));
    }

    [Fact]
    public async Task Set_OversizedEntry_IsRefusedWithoutThrowing()
    {
        await using var connection = new RedisConnection(TestRedis.Options(fixture.Server.EndPoint, o => o.MaxEntryBytes = 1024));
        var tier = new RedisSecondTier(connection, _time);
        var key = TestRedis.NewKey();

        await tier.SetAsync(key, TestRedis.Payload(1025), Start.AddHours(1), Token);
        await tier.SetAsync(TestRedis.NewKey(), TestRedis.Payload(1024), Start.AddHours(1), Token);

        Assert.Null(await tier.GetAsync(key, Token));
    }

    [Fact]
    public async Task TierWithItsOwnConnection_WorksAndDisposesIt()
    {
        var tier = new RedisSecondTier(TestRedis.Options(fixture.Server.EndPoint), _time);
        var key = TestRedis.NewKey();

        await tier.SetAsync(key, TestRedis.Payload(10), Start.AddHours(1), Token);
        Assert.NotNull(await tier.GetAsync(key, Token));
        await tier.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => tier.GetAsync(key, Token).AsTask());
    }
}
