using ClaudeCache.Caching;
using ClaudeCache.Policy;

namespace ClaudeCache.Tests.Caching;

public sealed class CacheTagsTests
{
    [Theory]
    [InlineData(null, new string[0])]
    [InlineData("  ", new string[0])]
    [InlineData("a", new[] { "a" })]
    [InlineData(" listing-42 , batch:2026-11,listing-42", new[] { "listing-42", "batch:2026-11" })]
    [InlineData("a,b,c,d,e,f,g,h", new[] { "a", "b", "c", "d", "e", "f", "g", "h" })]
    [InlineData("a,b,c,d,e,f,g,h,a", new[] { "a", "b", "c", "d", "e", "f", "g", "h" })]
    public void ValidLists_AreTrimmed_AndDeduplicated(string? header, string[] expected)
    {
        Assert.True(CacheTags.TryParse(header, out var tags, out var error), error);
        Assert.Equal(expected, tags);
    }

    [Theory]
    [InlineData("a,b,c,d,e,f,g,h,i")]
    [InlineData("a,")]
    [InlineData("a b")]
    [InlineData("é")]
    public void InvalidLists_AreErrorsNamingTheHeader(string header)
    {
        Assert.False(CacheTags.TryParse(header, out _, out var error));
        Assert.StartsWith("x-cache-tags:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AFilter_MatchesOnlyWhenEveryGivenFieldMatches_AndAnEmptyOneMatchesNothing()
    {
        var created = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
        var entry = new EntryMetadata("t1", "ns", "claude-sonnet-4-5", CacheStrategy.Standard, "ctx", created, ["a", "b"]);

        Assert.True(new PurgeFilter { Tag = "b", Model = "claude-sonnet-4-5" }.Matches(entry));
        Assert.True(new PurgeFilter { CreatedBefore = created.AddSeconds(1) }.Matches(entry));
        Assert.False(new PurgeFilter { CreatedBefore = created }.Matches(entry));
        Assert.False(new PurgeFilter { Tag = "b", Tenant = "t2" }.Matches(entry));
        Assert.False(new PurgeFilter { Strategy = CacheStrategy.Aggressive }.Matches(entry));
        Assert.False(new PurgeFilter().Matches(entry));
        Assert.NotNull(new PurgeFilter().Validate());
    }
}
