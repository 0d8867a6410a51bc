using ClaudeCache.Testing.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>
/// A primary, its replica and three Sentinels shared by the Sentinel tests (<see cref="SentinelTestsRunAlone"/>), which
/// must leave them as they are: tests that fail the primary over start a <see cref="RedisSentinelGroup"/> of their own.
/// </summary>
public sealed class RedisSentinelFixture : IAsyncLifetime
{
    private RedisSentinelGroup? _group;

    public RedisSentinelGroup Group => _group ?? throw new InvalidOperationException("The fixture has not started.");

    public async ValueTask InitializeAsync() => _group = await RedisSentinelGroup.StartAsync(sentinels: 3);

    public async ValueTask DisposeAsync()
    {
        if (_group is not null)
        {
            await _group.DisposeAsync();
        }
    }
}
