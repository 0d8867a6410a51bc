using ClaudeCache.Testing.Redis;

[assembly: AssemblyFixture(typeof(ClaudeCache.Tests.Storage.Redis.RedisServerFixture))]

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>
/// One standalone Redis for the whole test assembly. Tests share it safely because each uses its own key prefix
/// (<see cref="TestRedis.Options"/>). Tests that stop the server start their own <see cref="RedisServer"/>.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServer? _server;

    public RedisServer Server => _server ?? throw new InvalidOperationException("The fixture has not started.");

    public async ValueTask InitializeAsync() => _server = await RedisServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
