using System.Security.Cryptography;
using System.Text;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Policy;
using ClaudeCache.Storage.Redis;
using ClaudeCache.Telemetry;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>Response caches on Redis, keys and answers, for tests that go through <see cref="ResponseCache"/>.</summary>
internal static class TestEntries
{
    public static CacheKey NewKey() => new(RandomNumberGenerator.GetBytes(CacheKey.SizeInBytes));

    public static CachedResponse Response(string id) => new()
    {
        Kind = ResponseKind.Message,
        CreatedAt = DateTimeOffset.UtcNow,
        ExpiresAt = DateTimeOffset.UtcNow.AddHours(1),
        Strategy = CacheStrategy.Standard,
        Body = Encoding.UTF8.GetBytes($$"""{"id":"{{id}}","type":"message"}"""),
    };

    /// <summary>
    /// A cache instance with a Redis connection of its own, connected as a host would (at start-up, so the first
    /// operations do not spend their timeout on the handshake).
    /// </summary>
    public static async Task<ResponseCache> NewCacheAsync(RedisStoreOptions options, CancellationToken cancellationToken)
    {
        var tier = new RedisSecondTier(options, TimeProvider.System);
        await tier.Connection.ConnectAsync(cancellationToken);
        return new ResponseCache(new ResponseCacheOptions(), tier, TimeProvider.System, new ClaudeCacheMetrics());
    }

    /// <summary>The connection under a cache made by <see cref="NewCacheAsync"/>.</summary>
    public static RedisConnection Connection(ResponseCache cache) =>
        ((RedisSecondTier)(cache.SecondTier ?? throw new InvalidOperationException("The cache has no second tier."))).Connection;
}
