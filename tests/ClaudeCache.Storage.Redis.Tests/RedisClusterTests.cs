using ClaudeCache.Storage.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

public sealed class RedisClusterTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>, IAsyncLifetime
{
    private RedisConnection _connection = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _connection = new RedisConnection(TestRedis.Options(fixture.Cluster.Configuration));
        await _connection.ConnectAsync(Token);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    [Fact]
    public async Task Entries_SpreadOverEveryPrimary_AndAllAreReadable()
    {
        var tier = new RedisSecondTier(_connection, TimeProvider.System);
        var keys = Enumerable.Range(0, 200).Select(_ => TestRedis.NewKey()).ToArray();

        await Task.WhenAll(keys.Select(key => tier.SetAsync(key, TestRedis.Payload(64), DateTimeOffset.UtcNow.AddHours(1), Token).AsTask()));

        var values = await Task.WhenAll(keys.Select(key => tier.GetAsync(key, Token).AsTask()));
        Assert.All(values, value => Assert.Equal(TestRedis.Payload(64), value));

        var multiplexer = await _connection.GetMultiplexerAsync(Token);
        var primaries = multiplexer.GetServers().Where(server => !server.IsReplica).ToArray();
        Assert.Equal(3, primaries.Length);
        var perPrimary = primaries
            .Select(server => server.Keys(pattern: _connection.Options.KeyPrefix + "e:*", pageSize: 500).Count())
            .ToArray();
        Assert.Equal(200, perPrimary.Sum());
        // Slots are split evenly, so each primary holds about a third; 30 is far below any plausible draw.
        Assert.All(perPrimary, count => Assert.True(count > 30, $"keys per primary: {string.Join(", ", perPrimary)}"));
    }

    [Fact]
    public async Task EntryAndLock_HashToTheSameSlot()
    {
        var key = TestRedis.NewKey();
        var node = fixture.Cluster.Nodes[0];

        var entrySlot = await node.SendAsync("CLUSTER", "KEYSLOT", (string)RedisKeys.Entry(_connection.Options.KeyPrefix, key)!);
        var lockSlot = await node.SendAsync("CLUSTER", "KEYSLOT", (string)RedisKeys.Lock(_connection.Options.KeyPrefix, key)!);

        Assert.Equal(entrySlot, lockSlot);
    }

    [Fact]
    public async Task Lock_AndWaitForValue_WorkInACluster()
    {
        var redisLock = new RedisLock(_connection);
        var tier = new RedisSecondTier(_connection, TimeProvider.System);
        var key = TestRedis.NewKey();
        var held = await redisLock.TryAcquireAsync(key, TimeSpan.FromSeconds(10), Token);
        Assert.NotNull(held);
        Assert.Null(await redisLock.TryAcquireAsync(key, TimeSpan.FromSeconds(10), Token));
        var waiting = redisLock.WaitForReleaseOrValueAsync(key, TimeSpan.FromSeconds(5), Token);

        await tier.SetAsync(key, TestRedis.Payload(10), DateTimeOffset.UtcNow.AddHours(1), Token);
        await held.DisposeAsync();

        Assert.True(await waiting);
    }

    [Fact]
    public async Task Backplane_DeliversAcrossTheCluster()
    {
        await using var other = new RedisConnection(_connection.Options);
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var a = new RedisBackplane(_connection, _ => { });
        await using var b = new RedisBackplane(other, key => received.TrySetResult(key));
        await a.StartAsync(Token);
        await b.StartAsync(Token);
        var key = TestRedis.NewKey();

        await a.PublishEvictionAsync(key, Token);

        Assert.Equal(key, await received.Task.WaitAsync(TimeSpan.FromSeconds(10), Token));
    }
}
