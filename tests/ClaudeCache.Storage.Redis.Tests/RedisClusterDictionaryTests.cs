namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>Trained dictionaries shared by instances on a Redis Cluster (the dictionaries hash is one key, on one primary).</summary>
public sealed class RedisClusterDictionaryTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
    [Fact]
    public Task TwoInstances_OneStartedBeforeTheOtherTrained_ReadsItsEntries() =>
        SharedDictionaryScenario.RunAsync(fixture.Cluster.Configuration);
}
