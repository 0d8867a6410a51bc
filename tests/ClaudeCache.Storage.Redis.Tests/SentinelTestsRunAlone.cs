namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>
/// The Sentinel tests, run one at a time after the parallel tests, sharing one <see cref="RedisSentinelFixture"/>.
/// Alone because they are heavy (five processes per deployment) and because, while Sentinel fails over,
/// StackExchange.Redis reconfigures synchronously on thread-pool threads (each reconfiguration waits up to
/// <c>connectTimeout</c> for the dead primary): next to other tests, both skew the timings that tests assert.
/// </summary>
[CollectionDefinition(nameof(SentinelTestsRunAlone), DisableParallelization = true)]
public sealed class SentinelTestsRunAlone : ICollectionFixture<RedisSentinelFixture>;
