using System.Buffers.Binary;
using ClaudeCache.Caching;
using ClaudeCache.Storage.Redis;
using ClaudeCache.Testing.Redis;
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

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _connection = new RedisConnection(TestRedis.Options(fixture.Server.EndPoint));
        _tier = new RedisSecondTier(_connection, _time);
        await _connection.ConnectAsync(Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _tier.DisposeAsync();
        await _connection.DisposeAsync();
    }

    [Fact]
    public async Task SaveLoadGetRemove_RoundTrip()
    {
        // An id above int.MaxValue: ids are unsigned and must not come back negative or truncated.
        var small = new StoredDictionary(7, TestRedis.Payload(4096, seed: 1), Start.AddMinutes(-5));
        var large = new StoredDictionary(0xF000_0001, TestRedis.Payload(3000, seed: 2), Start);

        await _tier.SaveDictionaryAsync(small, Token);
        await _tier.SaveDictionaryAsync(large, Token);

        AssertSame(small, await _tier.GetDictionaryAsync(small.Id, Token));
        AssertSame(large, await _tier.GetDictionaryAsync(large.Id, Token));
        AssertSameSet([small, large], await _tier.LoadDictionariesAsync(Token));

        // Another instance on its own connection sees the same.
        await using (var other = new RedisSecondTier(_connection.Options, _time))
        {
            AssertSameSet([small, large], await other.LoadDictionariesAsync(Token));
        }

        await _tier.RemoveDictionaryAsync(small.Id, Token);
        await _tier.RemoveDictionaryAsync(small.Id, Token); // absent: no error
        await _tier.RemoveDictionaryAsync(12345, Token); // never stored: no error

        Assert.Null(await _tier.GetDictionaryAsync(small.Id, Token));
        AssertSame(large, await _tier.GetDictionaryAsync(large.Id, Token));
        AssertSameSet([large], await _tier.LoadDictionariesAsync(Token));
    }

    [Fact]
    public async Task SaveTwice_SameId_KeepsTheFirst()
    {
        var first = new StoredDictionary(42, TestRedis.Payload(2000, seed: 1), Start);
        var second = new StoredDictionary(42, TestRedis.Payload(2500, seed: 9), Start.AddHours(1));

        await _tier.SaveDictionaryAsync(first, Token);
        await _tier.SaveDictionaryAsync(second, Token);

        AssertSame(first, await _tier.GetDictionaryAsync(42, Token));
        AssertSame(first, Assert.Single(await _tier.LoadDictionariesAsync(Token)));
    }

    [Fact]
    public async Task GetMissingId_ReturnsNull_WithNoDictionariesAndBesideAStoredOne()
    {
        Assert.Null(await _tier.GetDictionaryAsync(1, Token));
        Assert.Empty(await _tier.LoadDictionariesAsync(Token));

        await _tier.SaveDictionaryAsync(new StoredDictionary(1, TestRedis.Payload(100), Start), Token);

        Assert.Null(await _tier.GetDictionaryAsync(2, Token));
        Assert.Null(await _tier.GetDictionaryAsync(uint.MaxValue, Token));
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
        Assert.Null(await database.KeyTimeToLiveAsync(hash)); // no expiry
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
        var key = SharedDictionaryScenario.Key("held-out");
        var entry = SharedDictionaryScenario.Entry(SharedDictionaryScenario.HeldOut[2], time.GetUtcNow());
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

    private static void AssertSame(StoredDictionary expected, StoredDictionary? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Bytes, actual.Bytes);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
    }

    private static void AssertSameSet(StoredDictionary[] expected, IReadOnlyList<StoredDictionary> actual)
    {
        Assert.Equal(expected.Select(d => d.Id).Order(), actual.Select(d => d.Id).Order());
        foreach (var dictionary in expected)
        {
            AssertSame(dictionary, actual.Single(d => d.Id == dictionary.Id));
        }
    }
}
