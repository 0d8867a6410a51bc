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
    [InlineData(false)]
    [InlineData(true)]
    public async Task EntryWrittenThroughTheProxy_IsAHitThroughTheLibrary(bool stream)
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var clock = TestEngine.NewClock();
        var settings = redis.Settings(RedisServerFixture.NewPrefix());
        await using var proxy = await TestProxy.StartAsync(upstream, TempFiles.NewDatabasePath(), clock, settings);
        await using var app = AppInstance.Create(upstream, clock, settings);
        using var viaProxy = proxy.Sdk(ApiKey);
        using var viaApp = app.Sdk(ApiKey);
        var parameters = HandlerTests.Params("Written by the proxy on Redis");

        var miss = await RedisAppInstancesTests.CallAsync(viaProxy, parameters, stream);
        await AppInstance.SettleAsync(proxy.Services);
        var hit = await RedisAppInstancesTests.CallAsync(viaApp, parameters, stream);
        await RedisAppInstancesTests.CallAsync(viaApp, parameters, !stream);

        Assert.Equal(1, upstream.MessagesCalls);
        Assert.Equal(miss, hit);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EntryWrittenThroughTheLibrary_IsAHitThroughTheProxy(bool stream)
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var clock = TestEngine.NewClock();
        var settings = redis.Settings(RedisServerFixture.NewPrefix());
        await using var proxy = await TestProxy.StartAsync(upstream, TempFiles.NewDatabasePath(), clock, settings);
        await using var app = AppInstance.Create(upstream, clock, settings);
        using var viaProxy = proxy.Sdk(ApiKey);
        using var viaApp = app.Sdk(ApiKey);
        var parameters = HandlerTests.Params("Written by the library on Redis");

        var miss = await RedisAppInstancesTests.CallAsync(viaApp, parameters, stream);
        await app.SettleAsync();
        var hit = await RedisAppInstancesTests.CallAsync(viaProxy, parameters, stream);
        await RedisAppInstancesTests.CallAsync(viaProxy, parameters, !stream);

        Assert.Equal(1, upstream.MessagesCalls);
        Assert.Equal(miss, hit);
    }
}
