using System.Collections.Concurrent;
using ClaudeCache.Storage.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

public sealed class RedisBackplaneTests(RedisServerFixture fixture) : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];
    private RedisStoreOptions _options = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _options = TestRedis.Options(fixture.Server.EndPoint);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        // Backplanes before their connections.
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }

    [Fact]
    public async Task Eviction_PublishedByOneInstance_ReachesTheOther_AndThePublisherIgnoresItsOwn()
    {
        var receivedByA = new ConcurrentQueue<string>();
        var receivedByB = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var receivedByAFromB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var key = TestRedis.NewKey();
        var marker = TestRedis.NewKey();
        var a = await StartInstanceAsync(k =>
        {
            receivedByA.Enqueue(k);
            if (k == marker)
            {
                receivedByAFromB.TrySetResult();
            }
        });
        var b = await StartInstanceAsync(k => receivedByB.TrySetResult(k));

        await a.PublishEvictionAsync(key, Token);
        Assert.Equal(key, await receivedByB.Task.WaitAsync(TimeSpan.FromSeconds(1), Token));

        // Pub/sub delivers one channel's messages in order: once B's later marker reached A, A's own earlier message
        // would have too. Only the marker arrived, so A ignored its own.
        await b.PublishEvictionAsync(marker, Token);
        await receivedByAFromB.Task.WaitAsync(TimeSpan.FromSeconds(1), Token);
        Assert.Equal([marker], receivedByA.ToArray());
    }

    [Fact]
    public async Task Eviction_ReachesEveryOtherInstance()
    {
        var a = await StartInstanceAsync(_ => { });
        var received = Enumerable.Range(0, 3).Select(_ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        foreach (var completion in received)
        {
            await StartInstanceAsync(key => completion.TrySetResult(key));
        }

        var key = TestRedis.NewKey();
        await a.PublishEvictionAsync(key, Token);

        var keys = await Task.WhenAll(received.Select(c => c.Task)).WaitAsync(TimeSpan.FromSeconds(1), Token);
        Assert.All(keys, k => Assert.Equal(key, k));
    }

    [Fact]
    public async Task MalformedMessages_AndFailingHandlers_DoNotStopDelivery()
    {
        var a = await StartInstanceAsync(_ => { });
        var received = new ConcurrentQueue<string>();
        var calls = 0;
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await StartInstanceAsync(key =>
        {
            received.Enqueue(key);
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new InvalidOperationException("handler failure");
            }

            second.TrySetResult();
        });

        var subscriber = await ((RedisConnection)_owned[0]).GetSubscriberAsync(Token);
        var channel = RedisKeys.InvalidationChannel(_options.KeyPrefix);
        await subscriber.PublishAsync(channel, "no separator");
        await subscriber.PublishAsync(channel, "other:not-a-key");
        var first = TestRedis.NewKey();
        var next = TestRedis.NewKey();
        await a.PublishEvictionAsync(first, Token);
        await a.PublishEvictionAsync(next, Token);

        await second.Task.WaitAsync(TimeSpan.FromSeconds(1), Token);
        // Handlers may run concurrently (evictions commute), so order is not asserted.
        Assert.Equal(new[] { first, next }.Order(), received.Order());
    }

    [Fact]
    public async Task Publish_NotAHexKey_Throws()
    {
        var a = await StartInstanceAsync(_ => { });

        await Assert.ThrowsAsync<ArgumentException>(() => a.PublishEvictionAsync("abc", Token));
    }

    // Each instance has its own multiplexer, as separate processes would.
    private async Task<RedisBackplane> StartInstanceAsync(Action<string> onEviction)
    {
        var connection = new RedisConnection(_options);
        _owned.Add(connection);
        var backplane = new RedisBackplane(connection, onEviction);
        _owned.Add(backplane);
        await backplane.StartAsync(Token);
        return backplane;
    }
}
