using ClaudeCache.Storage.Redis;

namespace ClaudeCache.Tests.Storage.Redis;

/// <summary>Behaviour that needs no server.</summary>
public sealed class RedisStoreUnitTests
{
    private const string Hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    [Theory]
    [InlineData("cc{x}:")]
    [InlineData("cc}")]
    public void Options_PrefixWithBrace_IsRefused(string prefix) =>
        Assert.Throws<ArgumentException>(() => new RedisConnection(new RedisStoreOptions { KeyPrefix = prefix }));

    [Fact]
    public void Options_OutOfRangeValues_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new RedisConnection(new RedisStoreOptions { Configuration = " " }));
        Assert.Throws<ArgumentException>(() => new RedisConnection(new RedisStoreOptions { OperationTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => new RedisConnection(new RedisStoreOptions { TtlJitter = 0.6 }));
        Assert.Throws<ArgumentException>(() => new RedisConnection(new RedisStoreOptions { TtlJitter = double.NaN }));
        Assert.Throws<ArgumentException>(() => new RedisConnection(new RedisStoreOptions { MaxEntryBytes = 0 }));
        Assert.Throws<ArgumentException>(() => new RedisConnection(new RedisStoreOptions { ReconnectRetryInterval = TimeSpan.Zero }));
    }

    [Fact]
    public void Validate_ListsEveryProblem_NamingItsKeyUnderTheSection()
    {
        var options = new RedisStoreOptions { KeyPrefix = "cc{x}:", OperationTimeout = TimeSpan.Zero, TtlJitter = 0.9, MaxEntryBytes = 0, ReconnectRetryInterval = TimeSpan.Zero };

        var errors = options.Validate("ClaudeCache:Storage:Redis");

        Assert.Equal(
            ["KeyPrefix", "OperationTimeout", "MaxEntryBytes", "TtlJitter", "ReconnectRetryInterval"],
            errors.Select(e => e["ClaudeCache:Storage:Redis:".Length..e.IndexOf(' ', StringComparison.Ordinal)]));
        Assert.Empty(new RedisStoreOptions().Validate("ClaudeCache:Storage:Redis"));
    }

    [Theory]
    [InlineData(" ", "must name at least one Redis endpoint")]
    [InlineData("abortConnect=false", "must name at least one Redis endpoint")]
    [InlineData("redis:6379,password=hunter2-very-secret,connectTimeout=soon", "does not parse")]
    public void Validate_Configuration_IsParsed_WithoutRepeatingIt(string configuration, string problem)
    {
        var error = Assert.Single(new RedisStoreOptions { Configuration = configuration }.Validate("S"));

        Assert.StartsWith("S:Configuration " + problem, error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Connection_UnparsableConfiguration_IsRefusedAtConstruction() =>
        Assert.Throws<ArgumentException>(() => new RedisConnection(new RedisStoreOptions { Configuration = "localhost:6379,abortConnect=perhaps" }));

    [Fact]
    public async Task Connection_Constructor_DoesNoIo()
    {
        // Port 1 has no Redis: a constructor that connected would fail or hang here.
        await using var connection = new RedisConnection(new RedisStoreOptions { Configuration = "127.0.0.1:1" });

        Assert.False(connection.IsConnected);
    }

    [Fact]
    public void Keys_EntryAndLock_ShareTheHexKeyAsHashTag()
    {
        Assert.Equal("cc:e:{" + Hex + "}", (string?)RedisKeys.Entry("cc:", Hex));
        Assert.Equal("cc:l:{" + Hex + "}", (string?)RedisKeys.Lock("cc:", Hex));
        Assert.Equal("cc:invalidate", RedisKeys.InvalidationChannel("cc:").ToString());
    }

    [Theory]
    [InlineData(0.0, 600_000)]
    [InlineData(0.5, 585_000)]
    [InlineData(1.0, 570_000)]
    public void Ttl_Jitter_OnlyShortensWithinTheFraction(double unitRandom, long expectedMs) =>
        Assert.Equal(expectedMs, (long)RedisTtl.Apply(TimeSpan.FromMinutes(10), 0.05, unitRandom).TotalMilliseconds);

    [Fact]
    public void Ttl_Tiny_IsAtLeastOneMillisecond() =>
        Assert.Equal(TimeSpan.FromMilliseconds(1), RedisTtl.Apply(TimeSpan.FromTicks(10), 0.5, 1.0));
}
