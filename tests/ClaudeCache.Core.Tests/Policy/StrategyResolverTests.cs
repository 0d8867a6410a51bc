using ClaudeCache.Policy;

namespace ClaudeCache.Tests.Policy;

public sealed class StrategyResolverTests
{
    private static readonly StrategyResolver Resolver = new(new StrategyOptions());

    private static System.Text.Json.JsonElement Body(string user, string? system = null) =>
        Json.Parse(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["model"] = "m",
            ["max_tokens"] = 10,
            ["system"] = system,
            ["messages"] = new[] { new { role = "user", content = user } },
        }));

    private static readonly System.Text.Json.JsonElement Plain = Body("Summarise this listing.");

    [Theory]
    [InlineData("aggressive", CacheStrategy.Aggressive)]
    [InlineData("STANDARD", CacheStrategy.Standard)]
    [InlineData(" conservative ", CacheStrategy.Conservative)]
    [InlineData("real-time", CacheStrategy.RealTime)]
    [InlineData("realtime", CacheStrategy.RealTime)]
    [InlineData("no-cache", CacheStrategy.NoCache)]
    [InlineData("NoCache", CacheStrategy.NoCache)]
    public void Header_IsParsedCaseInsensitively(string header, CacheStrategy expected)
    {
        var decision = Resolver.Resolve(header, null, Plain);
        Assert.True(decision.IsValid);
        Assert.Equal(expected, decision.Strategy);
        Assert.Equal("header", decision.Reason);
    }

    [Fact]
    public void InvalidHeader_IsAnErrorNamingTheHeader()
    {
        var decision = Resolver.Resolve("forever", null, Plain);
        Assert.False(decision.IsValid);
        Assert.StartsWith("x-cache-strategy: 'forever'", decision.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_BeatsContext_WhichBeatsContent_WhichBeatsDefault()
    {
        var explain = Body("Explain escrow.");
        Assert.Equal(new StrategyDecision(CacheStrategy.RealTime, "header"), Resolver.Resolve("real-time", "market_analysis", explain));
        Assert.Equal(new StrategyDecision(CacheStrategy.Conservative, "context:market_analysis"), Resolver.Resolve(null, "market_analysis", explain));
        Assert.Equal(new StrategyDecision(CacheStrategy.Aggressive, "rule:explain"), Resolver.Resolve(null, null, explain));
        Assert.Equal(new StrategyDecision(CacheStrategy.Standard, "default"), Resolver.Resolve(null, null, Plain));
    }

    [Theory]
    [InlineData("explanation", CacheStrategy.Aggressive)]
    [InlineData("documentation", CacheStrategy.Aggressive)]
    [InlineData("property_analysis", CacheStrategy.Standard)]
    [InlineData("lead_qualification", CacheStrategy.Standard)]
    [InlineData("recommendation", CacheStrategy.Standard)]
    [InlineData("objection_handling", CacheStrategy.Standard)]
    [InlineData("market_analysis", CacheStrategy.Conservative)]
    [InlineData("market_summary", CacheStrategy.Conservative)]
    [InlineData("coaching", CacheStrategy.RealTime)]
    [InlineData("live_coaching", CacheStrategy.RealTime)]
    [InlineData("one_off", CacheStrategy.NoCache)]
    [InlineData("Market_Analysis", CacheStrategy.Conservative)]
    public void DefaultContexts_MapToTheirStrategies(string context, CacheStrategy expected)
    {
        var decision = Resolver.Resolve(null, context, Plain);
        Assert.Equal(expected, decision.Strategy);
        Assert.Equal("context:" + context.ToLowerInvariant(), decision.Reason);
    }

    [Fact]
    public void UnknownContext_FallsThroughToContentRules()
    {
        var decision = Resolver.Resolve(null, "no_such_context", Body("What is a lien?"));
        Assert.True(decision.IsValid);
        Assert.Equal(new StrategyDecision(CacheStrategy.Aggressive, "rule:what is"), decision);
    }

    [Theory]
    [InlineData("Explain today's market", CacheStrategy.Conservative, "rule:today")]
    [InlineData("What is the current price of this home?", CacheStrategy.Conservative, "rule:current price")]
    [InlineData("What are closing costs?", CacheStrategy.Aggressive, "rule:what are")]
    [InlineData("How does escrow work?", CacheStrategy.Aggressive, "rule:how does")]
    [InlineData("Please define contingency", CacheStrategy.Aggressive, @"rule:\bdefine\b")]
    [InlineData("Give me the LATEST numbers", CacheStrategy.Conservative, "rule:latest")]
    [InlineData("What should I say in this call?", CacheStrategy.RealTime, "rule:in this call")]
    [InlineData("We are live with the buyer", CacheStrategy.RealTime, @"rule:\blive\b")]
    [InlineData("How do I deliver the undefined?", CacheStrategy.Standard, "default")]
    public void DefaultContentRules_LookAtTheLastUserTurn_ShortestTtlFirst(string text, CacheStrategy expected, string reason) =>
        Assert.Equal(new StrategyDecision(expected, reason), Resolver.Resolve(null, null, Body(text)));

    [Fact]
    public void DefaultContentRules_IgnoreTheSystemPrompt() =>
        Assert.Equal("default", Resolver.Resolve(null, null, Body("Summarise.", system: "Explain things clearly.")).Reason);

    [Fact]
    public void LastUserTurn_IsTheLastUserMessageWithText()
    {
        var body = Json.Parse("""
            {"model":"m","max_tokens":10,"messages":[
              {"role":"user","content":"Summarise the listing."},
              {"role":"assistant","content":"ok"},
              {"role":"user","content":[{"type":"text","text":"What is a lien?"}]},
              {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"x","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"today"}]}]}
            """);
        Assert.Equal("rule:what is", Resolver.Resolve(null, null, body).Reason);
    }

    [Theory]
    [InlineData(ContentScope.System, "Always be brief.", "Tell me about x", CacheStrategy.RealTime)]
    [InlineData(ContentScope.System, "Tell me about x", "Always be brief.", CacheStrategy.Standard)]
    [InlineData(ContentScope.LastUserTurn, "Always be brief.", "Tell me about x", CacheStrategy.Standard)]
    [InlineData(ContentScope.LastUserTurn, "Tell me about x", "Always be brief.", CacheStrategy.RealTime)]
    [InlineData(ContentScope.Either, "Always be brief.", "Tell me about x", CacheStrategy.RealTime)]
    [InlineData(ContentScope.Either, "Tell me about x", "Always be brief.", CacheStrategy.RealTime)]
    public void ContentRules_RespectTheirScope(ContentScope scope, string system, string user, CacheStrategy expected)
    {
        var options = new StrategyOptions
        {
            UseDefaultContentRules = false,
            ContentRules = [new ContentRule { Pattern = "BRIEF", Strategy = CacheStrategy.RealTime, Scope = scope }],
        };
        Assert.Equal(expected, new StrategyResolver(options).Resolve(null, null, Body(user, system)).Strategy);
    }

    [Fact]
    public void ConfiguredRules_AreCheckedBeforeTheDefaults_InOrder()
    {
        var options = new StrategyOptions
        {
            ContentRules =
            [
                new ContentRule { Pattern = "escrow", Strategy = CacheStrategy.NoCache },
                new ContentRule { Pattern = @"lien\s+law", IsRegex = true, Strategy = CacheStrategy.Aggressive },
                new ContentRule { Pattern = "lien", Strategy = CacheStrategy.RealTime },
            ],
        };
        var resolver = new StrategyResolver(options);
        Assert.Equal(new StrategyDecision(CacheStrategy.NoCache, "rule:escrow"), resolver.Resolve(null, null, Body("Explain escrow and liens")));
        Assert.Equal(new StrategyDecision(CacheStrategy.Aggressive, @"rule:lien\s+law"), resolver.Resolve(null, null, Body("what is LIEN   law")));
        Assert.Equal(CacheStrategy.RealTime, resolver.Resolve(null, null, Body("a lien today")).Strategy);
        Assert.Equal(CacheStrategy.Aggressive, resolver.Resolve(null, null, Body("explain mortgages")).Strategy);
    }

    [Fact]
    public void DefaultStrategy_AndContexts_AreConfigurable()
    {
        var options = new StrategyOptions { DefaultStrategy = CacheStrategy.Conservative, UseDefaultContentRules = false };
        options.Contexts["faq"] = CacheStrategy.Aggressive;
        var resolver = new StrategyResolver(options);
        Assert.Equal(CacheStrategy.Conservative, resolver.Resolve(null, null, Body("Explain")).Strategy);
        Assert.Equal(new StrategyDecision(CacheStrategy.Aggressive, "context:faq"), resolver.Resolve(null, "FAQ", Plain));
    }

    [Fact]
    public void NonObjectBody_GetsTheDefault() =>
        Assert.Equal("default", Resolver.Resolve(null, null, Json.Parse("[1,2]")).Reason);
}
