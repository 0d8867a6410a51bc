using ClaudeCache.Policy;

namespace ClaudeCache.Tests.Policy;

public sealed class StrategyOptionsValidatorTests
{
    private static readonly StrategyOptionsValidator Validator = new();

    [Fact]
    public void Defaults_AreValid() => Assert.True(Validator.Validate(null, new StrategyOptions()).Succeeded);

    [Fact]
    public void Defaults_MatchTheDocumentedValues()
    {
        var options = new StrategyOptions();
        Assert.Equal(TimeSpan.FromHours(24), options.AggressiveTtl);
        Assert.Equal(TimeSpan.FromHours(6), options.StandardTtl);
        Assert.Equal(TimeSpan.FromMinutes(90), options.ConservativeTtl);
        Assert.Equal(TimeSpan.FromMinutes(15), options.RealTimeTtl);
        Assert.Equal(TimeSpan.Zero, options.GetTtl(CacheStrategy.NoCache));
        Assert.Equal(CacheStrategy.Standard, options.DefaultStrategy);
        Assert.False(options.CacheContainerRequests);
        Assert.False(options.CacheMcpServerRequests);
        Assert.Equal(TimeSpan.FromMinutes(1), options.MinTtl);
        Assert.Equal(TimeSpan.FromDays(30), options.MaxTtl);
        Assert.Empty(options.ContentRules);
        Assert.True(options.UseDefaultContentRules);
        Assert.Equal(12, StrategyOptions.DefaultContentRules.Count);
    }

    [Fact]
    public void NonPositiveTtl_IsNamedByItsKey()
    {
        var result = Validator.Validate(null, new StrategyOptions { StandardTtl = TimeSpan.Zero });
        Assert.True(result.Failed);
        Assert.Contains("ClaudeCache:Strategies:StandardTtl must be positive.", result.Failures!);
    }

    [Fact]
    public void MinAboveMax_IsAFailure()
    {
        var result = Validator.Validate(null, new StrategyOptions { MinTtl = TimeSpan.FromDays(2), MaxTtl = TimeSpan.FromDays(1) });
        Assert.Contains(result.Failures!, f => f.StartsWith("ClaudeCache:Strategies:MinTtl", StringComparison.Ordinal));
    }

    [Fact]
    public void StrategyTtlOutsideTheBounds_IsAFailure()
    {
        var result = Validator.Validate(null, new StrategyOptions { AggressiveTtl = TimeSpan.FromDays(60) });
        Assert.Contains(result.Failures!, f => f.StartsWith("ClaudeCache:Strategies:AggressiveTtl", StringComparison.Ordinal));

        result = Validator.Validate(null, new StrategyOptions { RealTimeTtl = TimeSpan.FromSeconds(10) });
        Assert.Contains(result.Failures!, f => f.StartsWith("ClaudeCache:Strategies:RealTimeTtl", StringComparison.Ordinal));
    }

    [Fact]
    public void BadRules_AreNamedByIndex()
    {
        var options = new StrategyOptions
        {
            ContentRules =
            [
                new ContentRule { Pattern = "ok" },
                new ContentRule { Pattern = "" },
                new ContentRule { Pattern = "([unclosed", IsRegex = true },
                new ContentRule { Pattern = "x", Strategy = (CacheStrategy)42 },
            ],
        };
        var failures = Validator.Validate(null, options).Failures!.ToList();
        Assert.Contains("ClaudeCache:Strategies:ContentRules:1:Pattern must not be empty.", failures);
        Assert.Contains(failures, f => f.StartsWith("ClaudeCache:Strategies:ContentRules:2:Pattern is not a valid regular expression", StringComparison.Ordinal));
        Assert.Contains("ClaudeCache:Strategies:ContentRules:3:Strategy is not a strategy.", failures);
        Assert.Equal(3, failures.Count);
    }

    [Fact]
    public void RegexNeedingBacktracking_IsStillAccepted()
    {
        var options = new StrategyOptions { ContentRules = [new ContentRule { Pattern = @"(?<!un)defined", IsRegex = true }] };
        Assert.True(Validator.Validate(null, options).Succeeded);
        var resolver = new StrategyResolver(options);
        Assert.Equal(@"rule:(?<!un)defined", resolver.Resolve(null, null, Json.Parse("""{"messages":[{"role":"user","content":"well defined"}]}""")).Reason);
        Assert.Equal("default", resolver.Resolve(null, null, Json.Parse("""{"messages":[{"role":"user","content":"undefined"}]}""")).Reason);
    }

    [Fact]
    public void UnknownContextStrategy_IsAFailure()
    {
        var options = new StrategyOptions();
        options.Contexts["weird"] = (CacheStrategy)99;
        Assert.Contains("ClaudeCache:Strategies:Contexts:weird is not a strategy.", Validator.Validate(null, options).Failures!);
    }

    [Fact]
    public void AGraceBeyondMaxGrace_OrNegative_IsRejectedByName()
    {
        var result = Validator.Validate(null, new StrategyOptions { ConservativeGrace = TimeSpan.FromDays(40), RealTimeGrace = TimeSpan.FromSeconds(-1) });

        Assert.True(result.Failed);
        Assert.Contains("ClaudeCache:Strategies:ConservativeGrace", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("ClaudeCache:Strategies:RealTimeGrace", result.FailureMessage, StringComparison.Ordinal);
    }
}
