using System.Text.Json;
using ClaudeCache.Policy;

namespace ClaudeCache.Tests.Policy;

public sealed class CachePolicyResolverTests
{
    private static readonly JsonElement Plain =
        Json.Parse("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"Summarise."}]}""");

    private static readonly CachePolicyResolver Resolver = new(new StrategyOptions());

    private static CachePolicy Resolve(
        string? strategy = null,
        string? context = null,
        string? cacheControl = null,
        string? ns = null,
        JsonElement? body = null,
        CachePolicyResolver? resolver = null) =>
        (resolver ?? Resolver).Resolve(new PolicyInput(strategy, context, cacheControl, ns, body ?? Plain));

    private static JsonElement With(string field, string json) =>
        Json.Parse($$"""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"Summarise."}],"{{field}}":{{json}}}""");

    [Fact]
    public void Default_LooksUpAndStores_WithTheStandardTtl()
    {
        var policy = Resolve();
        Assert.True(policy.IsValid);
        Assert.Equal(new CachePolicy(CacheStrategy.Standard, "default", TimeSpan.FromHours(6), Lookup: true, Store: true, "")
        {
            // Kept, and served when the upstream fails, for the standard grace.
            Stale = new StalePolicy(TimeSpan.FromHours(24), TimeSpan.FromHours(24), TimeSpan.Zero),
        }, policy);
    }

    [Theory]
    [InlineData("aggressive", 24 * 60)]
    [InlineData("standard", 6 * 60)]
    [InlineData("conservative", 90)]
    [InlineData("real-time", 15)]
    public void Ttl_ComesFromTheStrategy(string strategy, int minutes) =>
        Assert.Equal(TimeSpan.FromMinutes(minutes), Resolve(strategy).Ttl);

    [Theory]
    [InlineData("max-age=3600", 3600)]
    [InlineData("max-age=5", 60)]
    [InlineData("max-age=0", 60)]
    [InlineData("max-age=999999999", 30 * 24 * 3600)]
    public void MaxAge_OverridesTheTtl_ClampedToTheBounds(string cacheControl, int seconds)
    {
        var policy = Resolve("aggressive", cacheControl: cacheControl);
        Assert.Equal(TimeSpan.FromSeconds(seconds), policy.Ttl);
        Assert.Equal(CacheStrategy.Aggressive, policy.Strategy);
        Assert.True(policy.Store);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("aggressive")]
    public void MaxTokensZero_APromptCachePreWarm_IsNeitherLookedUpNorStored_UnderItsStrategy(string? strategy)
    {
        var prewarm = Json.Parse("""{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"Summarise."}]}""");

        var policy = Resolve(strategy, body: prewarm);

        Assert.True(policy.IsValid);
        Assert.Equal((false, false, "max_tokens:0"), (policy.Lookup, policy.Store, policy.Reason));
        Assert.Equal(strategy is null ? CacheStrategy.Standard : CacheStrategy.Aggressive, policy.Strategy);
        Assert.True(Resolve(strategy).Store, "the same request with max_tokens above 0 is stored");
    }

    [Fact]
    public void NoCache_SkipsTheLookup_ButStoresTheFreshAnswer()
    {
        var policy = Resolve(cacheControl: "no-cache");
        Assert.False(policy.Lookup);
        Assert.True(policy.Store);
        Assert.Equal(TimeSpan.FromHours(6), policy.Ttl);
    }

    [Fact]
    public void NoStore_NeitherLooksUpNorStores()
    {
        var policy = Resolve("aggressive", cacheControl: "no-store, max-age=60");
        Assert.False(policy.Lookup);
        Assert.False(policy.Store);
        Assert.Equal(TimeSpan.Zero, policy.Ttl);
        Assert.Equal("cache-control:no-store", policy.Reason);
    }

    [Theory]
    [InlineData("no-cache", null)]
    [InlineData(null, "one_off")]
    public void NoCacheStrategy_NeitherLooksUpNorStores(string? strategy, string? context)
    {
        var policy = Resolve(strategy, context, cacheControl: "max-age=600");
        Assert.Equal(CacheStrategy.NoCache, policy.Strategy);
        Assert.False(policy.Lookup);
        Assert.False(policy.Store);
        Assert.Equal(TimeSpan.Zero, policy.Ttl);
    }

    [Theory]
    [InlineData("container", "\"container_abc\"", "never-cache:container")]
    [InlineData("mcp_servers", """[{"type":"url","url":"https://mcp.example","name":"x","authorization_token":"secret"}]""", "never-cache:mcp_servers")]
    public void ContainerAndMcpServers_AreNeverCachedByDefault_EvenWithAnExplicitStrategy(string field, string json, string reason)
    {
        var policy = Resolve("aggressive", body: With(field, json));
        Assert.Equal(new CachePolicy(CacheStrategy.NoCache, reason, TimeSpan.Zero, Lookup: false, Store: false, ""), policy);
    }

    [Theory]
    [InlineData("container", "\"container_abc\"")]
    [InlineData("mcp_servers", """[{"type":"url","url":"https://mcp.example","name":"x"}]""")]
    public void ContainerAndMcpServers_AreCacheable_WhenEnabled(string field, string json)
    {
        var resolver = new CachePolicyResolver(new StrategyOptions { CacheContainerRequests = true, CacheMcpServerRequests = true });
        var policy = Resolve(body: With(field, json), resolver: resolver);
        Assert.True(policy.Lookup);
        Assert.True(policy.Store);
        Assert.Equal(CacheStrategy.Standard, policy.Strategy);
    }

    [Theory]
    [InlineData("container", "null")]
    [InlineData("mcp_servers", "[]")]
    public void NullContainerOrEmptyMcpServers_DoNotPreventCaching(string field, string json) =>
        Assert.True(Resolve(body: With(field, json)).Store);

    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("team-a", "team-a")]
    [InlineData(" docs.v2:en_GB ", "docs.v2:en_GB")]
    public void Namespace_IsTakenFromTheHeader(string? header, string expected) =>
        Assert.Equal(expected, Resolve(ns: header).Namespace);

    [Theory]
    [InlineData("team a")]
    [InlineData("team/a")]
    [InlineData("équipe")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void InvalidNamespace_IsAnErrorNamingTheHeader(string header)
    {
        var policy = Resolve(ns: header);
        Assert.False(policy.IsValid);
        Assert.StartsWith("x-cache-namespace:", policy.Error, StringComparison.Ordinal);
        Assert.False(policy.Lookup);
        Assert.False(policy.Store);
    }

    [Fact]
    public void InvalidStrategyHeader_IsReturnedNotThrown()
    {
        var policy = Resolve("sometimes");
        Assert.False(policy.IsValid);
        Assert.StartsWith("x-cache-strategy:", policy.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidCacheControl_IsReturnedNotThrown()
    {
        var policy = Resolve(cacheControl: "max-age=soon");
        Assert.False(policy.IsValid);
        Assert.StartsWith("Cache-Control:", policy.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void LongInvalidValues_AreShortenedInTheMessage()
    {
        var policy = Resolve(new string('x', 500));
        Assert.True(policy.Error!.Length < 200);
    }
}
