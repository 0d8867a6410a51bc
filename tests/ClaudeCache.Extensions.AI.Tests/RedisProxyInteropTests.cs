using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using ClaudeCache.Testing;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// A proxy and an application using the library, on the same Redis and key prefix, are one fleet: the handler makes
/// the proxy's keys and entries, so what either stored is a hit through the other.
/// </summary>
public sealed class RedisProxyInteropTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private const string ApiKey = "sk-ant-redis-interop";

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public async Task EntryWrittenThroughOne_IsAHitThroughTheOther(bool writtenByProxy, bool stream)
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var clock = TestEngine.NewClock();
        var settings = redis.Settings(RedisServerFixture.NewPrefix());
        await using var proxy = await TestProxy.StartAsync(upstream, TempFiles.NewDatabasePath(), clock, settings);
        await using var app = AppInstance.Create(upstream, clock, settings);
        using var viaProxy = proxy.Sdk(ApiKey);
        using var viaApp = app.Sdk(ApiKey);
        var (writer, reader) = writtenByProxy ? (viaProxy, viaApp) : (viaApp, viaProxy);
        var parameters = HandlerTests.Params(writtenByProxy ? "Written by the proxy on Redis" : "Written by the library on Redis");

        var miss = await RedisAppInstancesTests.CallAsync(writer, parameters, stream);
        if (writtenByProxy)
        {
            await AppInstance.SettleAsync(proxy.Services);
        }
        else
        {
            await app.SettleAsync();
        }

        var hit = await RedisAppInstancesTests.CallAsync(reader, parameters, stream);
        await RedisAppInstancesTests.CallAsync(reader, parameters, !stream);

        Assert.Equal(1, upstream.MessagesCalls);
        Assert.Equal(miss, hit);
    }
}
