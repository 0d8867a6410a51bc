using ClaudeCache.Keys;

namespace ClaudeCache.Tests.Keys;

public sealed class CacheKeyTests
{
    private static readonly byte[] Digest = [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 7))];

    [Fact]
    public void ToHex_Is64LowercaseCharacters()
    {
        var key = new CacheKey(Digest);
        var hex = key.ToHex();
        Assert.Equal(64, hex.Length);
        Assert.Equal(hex.ToLowerInvariant(), hex);
        Assert.Equal(Convert.ToHexStringLower(Digest), hex);
        Assert.Equal(hex, key.ToString());
    }

    [Fact]
    public void FromHex_RoundTrips_AndAcceptsUppercase()
    {
        var key = new CacheKey(Digest);
        Assert.Equal(key, CacheKey.FromHex(key.ToHex()));
        Assert.Equal(key, CacheKey.FromHex(key.ToHex().ToUpperInvariant()));
        Assert.Equal(key.ToHex(), CacheKey.FromHex(key.ToHex().ToUpperInvariant()).ToHex());
        Assert.Equal(Digest, key.ToArray());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("00000000000000000000000000000000000000000000000000000000000000000")]
    public void TryParse_RejectsAnythingButSixtyFourHexCharacters(string? text)
    {
        Assert.False(CacheKey.TryParse(text, out _));
        if (text is not null)
        {
            Assert.Throws<FormatException>(() => CacheKey.FromHex(text));
        }
    }

    [Fact]
    public void Equality_IsByDigest()
    {
        var a = new CacheKey(Digest);
        var b = new CacheKey([.. Digest]);
        var other = Digest.ToArray();
        other[31] ^= 1;
        var c = new CacheKey(other);

        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(a != c);
        Assert.False(a.Equals((object)c));
    }

    [Fact]
    public void Constructor_RejectsWrongLength() =>
        Assert.Throws<ArgumentException>(() => new CacheKey(new byte[31]));

    [Fact]
    public void Default_IsAllZeros() => Assert.Equal(new string('0', 64), default(CacheKey).ToHex());
}
