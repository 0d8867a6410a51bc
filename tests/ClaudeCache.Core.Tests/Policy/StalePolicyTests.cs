using ClaudeCache.Policy;

namespace ClaudeCache.Tests.Policy;

public sealed class StalePolicyTests
{
    private static readonly StrategyOptions Options = new();

    private static StalePolicy Of(CacheStrategy strategy, string? cacheControl = null)
    {
        Assert.True(CacheControlDirectives.TryParse(cacheControl, out var directives, out _));
        return StalePolicy.Of(strategy, directives, Options);
    }

    [Theory]
    [InlineData(CacheStrategy.Aggressive, 7 * 24)]
    [InlineData(CacheStrategy.Standard, 24)]
    [InlineData(CacheStrategy.Conservative, 2)]
    [InlineData(CacheStrategy.RealTime, 0)]
    [InlineData(CacheStrategy.NoCache, 0)]
    public void Defaults_KeepAndServeForTheStrategysGrace(CacheStrategy strategy, int hours)
    {
        var policy = Of(strategy);

        Assert.Equal(TimeSpan.FromHours(hours), policy.Keep);
        Assert.Equal(TimeSpan.FromHours(hours), policy.IfError);
        Assert.Equal(TimeSpan.Zero, policy.WhileRevalidate);
    }

    [Fact]
    public void StaleIfError_Narrows_ButTheEntryIsStillKeptForTheStrategysGrace()
    {
        var policy = Of(CacheStrategy.Standard, "stale-if-error=60");

        Assert.Equal(TimeSpan.FromSeconds(60), policy.IfError);
        Assert.Equal(TimeSpan.FromHours(24), policy.Keep);
    }

    [Fact]
    public void StaleIfError_Widens_UpToMaxGrace()
    {
        Assert.Equal(TimeSpan.FromDays(2), Of(CacheStrategy.RealTime, "stale-if-error=172800").Keep);
        Assert.Equal(Options.MaxGrace, Of(CacheStrategy.Standard, "stale-if-error=999999999").IfError);
    }

    [Fact]
    public void StaleIfErrorZero_RefusesStale()
    {
        Assert.Equal(TimeSpan.Zero, Of(CacheStrategy.Aggressive, "stale-if-error=0").IfError);
    }

    [Theory]
    [InlineData(CacheStrategy.Aggressive, 3600)]
    [InlineData(CacheStrategy.Standard, 3600)]
    [InlineData(CacheStrategy.Conservative, 0)]
    [InlineData(CacheStrategy.RealTime, 0)]
    public void StaleWhileRevalidate_AppliesToAggressiveAndStandardOnly(CacheStrategy strategy, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Of(strategy, "stale-while-revalidate=3600").WhileRevalidate);
    }
}
