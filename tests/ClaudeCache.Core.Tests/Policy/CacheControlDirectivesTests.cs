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

    [Theory]
    [InlineData("stale-if-error=600", 600L, null)]
    [InlineData("Stale-If-Error=0", 0L, null)]
    [InlineData("max-age=60, stale-while-revalidate=\"30\"", null, 30L)]
    [InlineData("stale-if-error=86400, stale-while-revalidate=3600", 86400L, 3600L)]
    public void StaleDirectives_AreParsed(string header, long? ifError, long? whileRevalidate)
    {
        Assert.True(CacheControlDirectives.TryParse(header, out var d, out var error));
        Assert.Null(error);
        Assert.Equal(ifError is { } e ? TimeSpan.FromSeconds(e) : null, d.StaleIfError);
        Assert.Equal(whileRevalidate is { } w ? TimeSpan.FromSeconds(w) : null, d.StaleWhileRevalidate);
    }

    [Theory]
    [InlineData("stale-if-error=soon", "Cache-Control: stale-if-error")]
    [InlineData("stale-if-error", "Cache-Control: stale-if-error")]
    [InlineData("stale-while-revalidate=-1", "Cache-Control: stale-while-revalidate")]
    public void InvalidStaleDirective_IsAnErrorNamingIt(string header, string expected)
    {
        Assert.False(CacheControlDirectives.TryParse(header, out _, out var error));
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }
}
