using System.Buffers.Binary;
using ClaudeCache.Caching;
using ClaudeCache.Storage.Redis;
using ClaudeCache.Testing.Redis;
using ClaudeCache.Tests.Shared;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>
/// Trained entry dictionaries in Redis (the hash <c>{prefix}dictionaries</c>): the <see cref="IDictionaryStore"/>
/// contract, the key layout, and two instances sharing one dictionary.
/// </summary>
public sealed class RedisDictionaryStoreTests(RedisServerFixture fixture) : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2025, 11, 3, 8, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private RedisConnection _connection = null!;
    private RedisSecondTier _tier = null!;
    private RedisSecondTier? _other;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _connection = new RedisConnection(TestRedis.Options(fixture.Server.EndPoint));
        _tier = new RedisSecondTier(_connection, _time);
        await _connection.ConnectAsync(Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (_other is not null)
        {
            await _other.DisposeAsync();
        }

        await _tier.DisposeAsync();
        await _connection.DisposeAsync();
    }

    [Fact]
    public Task SaveLoadGetRemove_RoundTrip_AlsoFromAnotherInstance() =>
        DictionaryStoreContract.SaveLoadGetRemoveAsync(_tier, () =>
        {
            // Another instance on its own connection sees the same.
            _other = new RedisSecondTier(_connection.Options, _time);
            return Task.FromResult<IDictionaryStore>(_other);
        }, Start);

    [Fact]
    public Task SaveTwice_SameId_KeepsTheFirst() => DictionaryStoreContract.SaveTwiceKeepsTheFirstAsync(_tier, Start);

    [Fact]
    public Task GetMissingId_ReturnsNull_WithNoDictionariesAndBesideAStoredOne() => DictionaryStoreContract.MissingIdIsNullAsync(_tier, Start);

    [Fact]
    public async Task TrainingClaim_IsOneInstancesUntilItExpires()
    {
        await using var other = new RedisSecondTier(_connection.Options, _time);
        var lease = TimeSpan.FromMilliseconds(300);

        Assert.True(await _tier.TryClaimTrainingAsync("instance-a", lease, Token));
        Assert.False(await other.TryClaimTrainingAsync("instance-b", lease, Token));

        // Redis expires the claim by itself: an instance that died mid-round blocks the others no longer than that.
        await TestRedis.EventuallyAsync(async () => Assert.True(await other.TryClaimTrainingAsync("instance-b", lease, Token)), TimeSpan.FromSeconds(5));
        Assert.False(await _tier.TryClaimTrainingAsync("instance-a", lease, Token));
    }

    [Fact]
    public async Task Dictionaries_AreOneHashUnderThePrefix_AndNothingElse()
    {
        // A server of its own, so that every key on it can be listed.
        await using var server = await RedisServer.StartAsync(Token);
        var options = TestRedis.Options(server.EndPoint);
        await using var connection = new RedisConnection(options);
        var tier = new RedisSecondTier(connection, _time);
        var first = new StoredDictionary(3_000_000_000, TestRedis.Payload(1500, seed: 4), Start.AddMilliseconds(123));
        var second = new StoredDictionary(17, TestRedis.Payload(700, seed: 5), Start.AddDays(1));

        await tier.SaveDictionaryAsync(first, Token);
        await tier.SaveDictionaryAsync(second, Token);

        var database = await connection.GetDatabaseAsync(Token);
        var hash = options.KeyPrefix + "dictionaries";
        Assert.Equal([hash], await KeysAsync(connection));
        Assert.Equal(RedisType.Hash, await database.KeyTypeAsync(hash));
        // Expires DictionaryTimeToLive (30 days) after its last save or load: it lives while instances use it.
        Assert.InRange((await database.KeyTimeToLiveAsync(hash))!.Value, TimeSpan.FromDays(29), TimeSpan.FromDays(30));
        Assert.Equal(["17", "3000000000"], (await database.HashKeysAsync(hash)).Select(f => (string)f!).Order(StringComparer.Ordinal));
        var value = (byte[])(await database.HashGetAsync(hash, "3000000000"))!;
        Assert.Equal(first.CreatedAt.ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64LittleEndian(value));
        Assert.Equal(first.Bytes, value[8..]);

        // Another prefix on the same server sees none of them.
        await using (var otherConnection = new RedisConnection(TestRedis.Options(server.EndPoint)))
        {
            var other = new RedisSecondTier(otherConnection, _time);
            Assert.Empty(await other.LoadDictionariesAsync(Token));
            Assert.Null(await other.GetDictionaryAsync(first.Id, Token));
        }

        await tier.RemoveDictionaryAsync(first.Id, Token);
        await tier.RemoveDictionaryAsync(second.Id, Token);
        Assert.Empty(await KeysAsync(connection));
    }

    [Fact]
    public Task TwoInstances_OneStartedBeforeTheOtherTrained_ReadsItsEntries() =>
        SharedDictionaryScenario.RunAsync(fixture.Server.EndPoint);

    [Fact]
    public async Task DictionaryReadThatFails_IsAMiss_AndKeepsTheEntry()
    {
        // A server of its own, with a user whose hash reads are refused (NOPERM) while its entry reads, writes and
        // deletes work: a dictionary read that fails, as a timeout or a cluster node that is down would.
        await using var server = await RedisServer.StartAsync(Token);
        Assert.Equal("OK", await server.SendAsync("ACL", "SETUSER", "reader", "on", ">secret", "~*", "&*", "+@all", "-hget", "-hgetall"));
        var time = new FakeTimeProvider(SharedDictionaryScenario.Start);
        var options = TestRedis.Options(server.EndPoint);
        await using var connectionA = new RedisConnection(options);
        await using var connectionB = new RedisConnection(TestRedis.Options(server.EndPoint + ",user=reader,password=secret", o => o.KeyPrefix = options.KeyPrefix));
        await connectionA.ConnectAsync(Token);
        await connectionB.ConnectAsync(Token);
        await using var a = SharedDictionaryScenario.NewCache(connectionA, time);
        var trained = await SharedDictionaryScenario.TrainAsync(a, time);
        var key = CorpusEntries.Key("held-out");
        var entry = CorpusEntries.Entry(CorpusEntries.HeldOut[2], time.GetUtcNow());
        a.Set(key, entry);
        await a.FlushAsync(Token);
        var payload = await a.SecondTier!.GetAsync(key.ToHex(), Token);
        Assert.NotNull(payload);

        await using var b = SharedDictionaryScenario.NewCache(connectionB, time);
        await b.WhenDictionariesIdleAsync(); // its start-up load failed too
        var miss = await b.GetAsync(key, Token);

        Assert.Null(miss);
        Assert.False(b.Dictionaries.TryGet(trained.Id, out _));
        Assert.Equal(payload, await a.SecondTier.GetAsync(key.ToHex(), Token)); // intact entries are not discarded

        // Once dictionary reads work again, the same entry is a hit.
        Assert.Equal("OK", await server.SendAsync("ACL", "SETUSER", "reader", "+hget", "+hgetall"));
        var hit = await b.GetAsync(key, Token);
        Assert.NotNull(hit);
        Assert.Equal(entry.Body.ToArray(), hit.Body.ToArray());
    }

    private static async Task<string[]> KeysAsync(RedisConnection connection)
    {
        var multiplexer = await connection.GetMultiplexerAsync(Token);
        var server = Assert.Single(multiplexer.GetServers());
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: "*"))
        {
            keys.Add(key.ToString());
        }

        return [.. keys.Order(StringComparer.Ordinal)];
    }
}
