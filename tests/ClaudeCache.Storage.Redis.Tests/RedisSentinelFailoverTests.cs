using System.Net;
using ClaudeCache.Storage.Redis;
using ClaudeCache.Testing.Redis;
using StackExchange.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>The primary dies; Sentinel promotes the replica; an instance that was never restarted follows it.</summary>
[Collection(nameof(SentinelTestsRunAlone))]
public sealed class RedisSentinelFailoverTests
{
    // Sentinel needs DownAfter to notice, a vote and a promotion: a few seconds, more on a loaded machine. Generous:
    // it only ends the wait for a failover that never comes, and is no promise of how fast one is.
    private static readonly TimeSpan FailoverDeadline = TimeSpan.FromSeconds(90);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PrimaryKilled_RequestsFailOpenMeanwhile_ThenTheSameInstanceReadsAndWritesOnThePromotedReplica()
    {
        await using var group = await RedisSentinelGroup.StartAsync(sentinels: 3, cancellationToken: Token);
        var options = TestRedis.Options(group.Configuration, o =>
        {
            o.OperationTimeout = TimeSpan.FromMilliseconds(500);
            o.ReconnectRetryInterval = TimeSpan.FromMilliseconds(200);
        });
        await using var cache = await TestEntries.NewCacheAsync(options, Token);
        var stored = Enumerable.Range(0, 20).Select(i => (Key: TestEntries.NewKey(), Response: TestEntries.Response($"msg_before_{i}"))).ToArray();
        foreach (var (key, response) in stored)
        {
            cache.Set(key, response);
        }

        await cache.FlushAsync(Token);
        Assert.Equal(0, cache.Metrics.StoreErrors);
        await group.WaitUntilReplicatedAsync(Token);

        await group.Primary.StopAsync();

        // Requests go on throughout: a read from Redis (the memory tier emptied first) and a write, neither of which
        // may throw (the cache fails open). Done once a read is a hit and a write succeeds while the Sentinels name the
        // replica. How long that takes is not what is promised: StackExchange.Redis handles the failover partly
        // synchronously on thread-pool threads, and on a loaded machine a request stalls for seconds now and then. The
        // deadline only ends the wait for a failover that never comes.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(FailoverDeadline);
        var written = (Key: TestEntries.NewKey(), Response: TestEntries.Response("msg_after"));
        var followed = false;
        var requests = 0;
        var last = "";
        while (!followed && !deadline.IsCancellationRequested)
        {
            cache.Memory.Clear();
            var (key, response) = stored[requests % stored.Length];
            var entry = await cache.GetAsync(key, Token);
            var errors = cache.Metrics.StoreErrors;
            written = (TestEntries.NewKey(), TestEntries.Response($"msg_after_{requests}"));
            await cache.SetAndWaitAsync(written.Key, written.Response, replaces: false, Token);
            var wrote = cache.Metrics.StoreErrors == errors;
            requests++;

            if (entry is not null)
            {
                Assert.Equal(response.Body.ToArray(), entry.Body.ToArray());
            }

            followed = entry is not null && wrote && await group.GetPrimaryAsync() == group.Replica;
            last = $"hit {entry is not null}, write {wrote}";
            if (!followed)
            {
                try
                {
                    await Task.Delay(20, deadline.Token);
                }
                catch (OperationCanceledException) when (!Token.IsCancellationRequested)
                {
                    // The deadline: the assertion below says where the instance stood.
                }
            }
        }

        Assert.True(followed, $"the instance never read and wrote on the promoted replica ({requests} requests; the last: {last})");
        TestContext.Current.TestOutputHelper?.WriteLine($"Failed over and followed after {requests} requests");

        // The outage was seen (writes to the dead primary failed and counted), and the instance is now on the replica.
        Assert.True(cache.Metrics.StoreErrors > 0, "no store operation failed while the primary was down");
        var connection = TestEntries.Connection(cache);
        Assert.True(connection.IsConnected);
        var multiplexer = await connection.GetMultiplexerAsync(Token);
        Assert.Equal(group.Replica.Port, Assert.IsType<IPEndPoint>(multiplexer.GetServers().Single(server => server.IsConnected && !server.IsReplica).EndPoint).Port);

        // Everything stored before the failover is still a hit, now served by the new primary.
        foreach (var (key, response) in stored)
        {
            cache.Memory.Clear();
            Assert.Equal(response.Body.ToArray(), (await cache.GetAsync(key, Token))?.Body.ToArray());
        }

        // What was written after it is on the new primary, and another instance finds it through the Sentinels.
        await using var direct = await ConnectionMultiplexer.ConnectAsync(group.Replica.EndPoint);
        Assert.True(await direct.GetDatabase().KeyExistsAsync(RedisKeys.Entry(options.KeyPrefix, written.Key.ToHex())));
        await using var other = await TestEntries.NewCacheAsync(options, Token);
        Assert.Equal(written.Response.Body.ToArray(), (await other.GetAsync(written.Key, Token))?.Body.ToArray());
    }
}
