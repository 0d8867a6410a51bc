using ClaudeCache.Policy;

namespace ClaudeCache.Tests.Policy;

public sealed class CacheControlDirectivesTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Absent_HasNoDirectives(string? header)
    {
        Assert.True(CacheControlDirectives.TryParse(header, out var d, out var error));
        Assert.Null(error);
        Assert.Equal(default, d);
    }

    [Theory]
    [InlineData("no-cache", true, false, null)]
    [InlineData("No-Store", false, true, null)]
    [InlineData("max-age=600", false, false, 600L)]
    [InlineData("max-age=\"60\"", false, false, 60L)]
    [InlineData(" no-cache , max-age=0 ", true, false, 0L)]
    [InlineData("no-transform, only-if-cached, no-store", false, true, null)]
    [InlineData("max-age=99999999999999999999", false, false, 2147483648L)]
    public void Directives_AreParsed(string header, bool noCache, bool noStore, long? maxAgeSeconds)
    {
        Assert.True(CacheControlDirectives.TryParse(header, out var d, out var error));
        Assert.Null(error);
        Assert.Equal(noCache, d.NoCache);
        Assert.Equal(noStore, d.NoStore);
        Assert.Equal(maxAgeSeconds is { } s ? TimeSpan.FromSeconds(s) : null, d.MaxAge);
    }

    [Theory]
    [InlineData("max-age=abc")]
    [InlineData("max-age=-5")]
    [InlineData("max-age=")]
    [InlineData("max-age")]
    [InlineData("max-age=1.5")]
    public void InvalidMaxAge_IsAnErrorNamingTheHeader(string header)
    {
        Assert.False(CacheControlDirectives.TryParse(header, out _, out var error));
        Assert.StartsWith("Cache-Control: max-age", error, StringComparison.Ordinal);
    }
}
