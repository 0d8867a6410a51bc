using StackExchange.Redis;

namespace ClaudeCache.Storage.Redis;

/// <summary>A held <see cref="RedisLock"/>; disposing releases it once.</summary>
internal sealed class RedisLockHandle : IAsyncDisposable
{
    private readonly RedisLock _owner;
    private readonly RedisKey _key;
    private readonly string _token;
    private int _released;

    public RedisLockHandle(RedisLock owner, RedisKey key, string token)
    {
        _owner = owner;
        _key = key;
        _token = token;
    }

    /// <summary>The token stored in the lock key (for tests).</summary>
    internal string Token => _token;

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _released, 1) == 0 ? _owner.ReleaseAsync(_key, _token) : ValueTask.CompletedTask;
}
