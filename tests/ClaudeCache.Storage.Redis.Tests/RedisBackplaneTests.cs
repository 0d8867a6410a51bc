using System.Collections.Concurrent;
using ClaudeCache.Storage.Redis;
using ClaudeCache.Testing.Redis;
using StackExchange.Redis;

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
        Assert.Equal(key, await receivedByB.Task.WaitAsync(TimeSpan.FromSeconds(10), Token));

        // Pub/sub delivers one channel's messages in order: once B's later marker reached A, A's own earlier message
        // would have too. Only the marker arrived, so A ignored its own.
        await b.PublishEvictionAsync(marker, Token);
        await receivedByAFromB.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
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

        var keys = await Task.WhenAll(received.Select(c => c.Task)).WaitAsync(TimeSpan.FromSeconds(10), Token);
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

        await second.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        // Handlers may run concurrently (evictions commute), so order is not asserted.
        Assert.Equal(new[] { first, next }.Order(), received.Order());
    }

    [Fact]
    public async Task Publish_NotAHexKey_Throws()
    {
        var a = await StartInstanceAsync(_ => { });

        await Assert.ThrowsAsync<ArgumentException>(() => a.PublishEvictionAsync("abc", Token));
    }

    [Fact]
    public async Task SubscribeRefusedAtFirst_ThenAllowed_HandlesEachMessageOnce()
    {
        // A user refused every channel: SUBSCRIBE fails (NOPERM) until it is allowed. The client registers a handler
        // before the server answers, so a retry that did not drop the failed registration would handle every
        // message twice.
        await using var server = await RedisServer.StartAsync(Token);
        Assert.Equal("OK", await server.SendAsync("ACL", "SETUSER", "listener", "on", ">secret", "~*", "resetchannels", "+@all"));
        await using var admin = await ConnectionMultiplexer.ConnectAsync(server.EndPoint);
        var listenerOptions = TestRedis.Options(server.EndPoint + ",user=listener,password=secret", o => o.ReconnectRetryInterval = TimeSpan.FromMilliseconds(20));
        await using var listenerConnection = new RedisConnection(listenerOptions);
        var received = new ConcurrentDictionary<string, int>();
        await using var listener = new RedisBackplane(listenerConnection, k => received.AddOrUpdate(k, 1, (_, n) => n + 1));

        var started = listener.StartAsync(Token);
        await TestRedis.EventuallyAsync(async () => Assert.True(await RefusedSubscriptionsAsync(admin) >= 2), TimeSpan.FromSeconds(5));
        Assert.False(started.IsCompleted);
        Assert.Equal("OK", await server.SendAsync("ACL", "SETUSER", "listener", "allchannels"));
        await started.WaitAsync(TimeSpan.FromSeconds(5), Token);

        // The client may run handlers of different messages concurrently, so no order is assumed: every message must
        // arrive, and each exactly once (a handler registered twice runs twice per message).
        await using var publisherConnection = new RedisConnection(TestRedis.Options(server.EndPoint, o => o.KeyPrefix = listenerOptions.KeyPrefix));
        await using var publisher = new RedisBackplane(publisherConnection, _ => { });
        var keys = Enumerable.Range(0, 6).Select(_ => TestRedis.NewKey()).ToArray();
        foreach (var key in keys)
        {
            await publisher.PublishEvictionAsync(key, Token);
        }

        await TestRedis.EventuallyAsync(() =>
        {
            Assert.All(keys, key => Assert.True(received.ContainsKey(key)));
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(5));
        Assert.All(keys[..^1], key => Assert.Equal(1, received[key]));
        Assert.Equal(keys.Length, received.Count);
    }

    /// <summary>How many SUBSCRIBE commands the server refused for lack of channel permission (ACL LOG).</summary>
    private static async Task<long> RefusedSubscriptionsAsync(ConnectionMultiplexer admin)
    {
        var log = (RedisResult[])(await admin.GetDatabase().ExecuteAsync("ACL", "LOG"))!;
        long refused = 0;
        foreach (var entry in log)
        {
            var fields = ((RedisResult[])entry!).Select(f => f.ToString()).ToArray();
            var reason = fields[Array.IndexOf(fields, "reason") + 1];
            if (reason == "channel")
            {
                refused += long.Parse(fields[Array.IndexOf(fields, "count") + 1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return refused;
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
