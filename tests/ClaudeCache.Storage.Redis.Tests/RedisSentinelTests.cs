using System.Net;
using System.Net.Sockets;
using ClaudeCache.Storage.Redis;
using StackExchange.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>Connecting through Sentinel (<c>sentinel:26379,…,serviceName=…</c>), on a deployment that stays as it is.</summary>
[Collection(nameof(SentinelTestsRunAlone))]
public sealed class RedisSentinelTests(RedisSentinelFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EntryStoredThroughSentinel_IsAHitOnAnotherInstance_AndLivesOnThePrimary()
    {
        var group = fixture.Group;
        var options = TestRedis.Options(group.Configuration);
        var key = TestEntries.NewKey();
        var response = TestEntries.Response("msg_sentinel");

        await using (var writer = await TestEntries.NewCacheAsync(options, Token))
        {
            writer.Set(key, response);
            await writer.FlushAsync(Token);
            Assert.Equal(0, writer.Metrics.StoreErrors);
        }

        // A second instance, with its own connection through the Sentinels and an empty memory tier.
        await using var reader = await TestEntries.NewCacheAsync(options, Token);
        var hit = await reader.GetAsync(key, Token);

        Assert.Equal(response.Body.ToArray(), hit?.Body.ToArray());
        Assert.Equal(0, reader.Metrics.StoreErrors);
        var multiplexer = await TestEntries.Connection(reader).GetMultiplexerAsync(Token);
        Assert.Equal(group.Primary.Port, Assert.IsType<IPEndPoint>(multiplexer.GetServers().Single(server => !server.IsReplica).EndPoint).Port);
        await using var direct = await ConnectionMultiplexer.ConnectAsync(group.Primary.EndPoint);
        Assert.True(await direct.GetDatabase().KeyExistsAsync(RedisKeys.Entry(options.KeyPrefix, key.ToHex())));
    }

    [Fact]
    public async Task OneSentinelUnreachable_TheOthersNameThePrimary()
    {
        var group = fixture.Group;
        var options = TestRedis.Options($"127.0.0.1:{ClosedPort()},{group.Configuration}");
        await using var connection = new RedisConnection(options);
        var tier = new RedisSecondTier(connection, TimeProvider.System);
        var key = TestRedis.NewKey();

        await connection.ConnectAsync(Token);
        await tier.SetAsync(key, TestRedis.Payload(100), DateTimeOffset.UtcNow.AddHours(1), Token);

        Assert.Equal(TestRedis.Payload(100), await tier.GetAsync(key, Token));
        await using var direct = await ConnectionMultiplexer.ConnectAsync(group.Primary.EndPoint);
        Assert.True(await direct.GetDatabase().KeyExistsAsync(RedisKeys.Entry(options.KeyPrefix, key)));
    }

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }
}
