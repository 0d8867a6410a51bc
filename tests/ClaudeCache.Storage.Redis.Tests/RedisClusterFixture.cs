using ClaudeCache.Testing.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>A three-primary Redis Cluster for one test class.</summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    private RedisCluster? _cluster;

    public RedisCluster Cluster => _cluster ?? throw new InvalidOperationException("The fixture has not started.");

    public async ValueTask InitializeAsync() => _cluster = await RedisCluster.StartAsync(primaries: 3);

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
