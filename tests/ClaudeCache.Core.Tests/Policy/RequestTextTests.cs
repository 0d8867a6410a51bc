using ClaudeCache.Policy;

namespace ClaudeCache.Tests.Policy;

/// <summary>Content rules read the request's texts without materialising strings: escapes, blocks and sizes.</summary>
public sealed class RequestTextTests
{
    private static readonly StrategyResolver Resolver = new(new StrategyOptions());

    [Fact]
    public void EscapedText_IsMatchedUnescaped() =>
        Assert.Equal("rule:explain", Resolver.Resolve(null, null, Json.Parse("""
            {"model":"m","max_tokens":1,"messages":[{"role":"user","content":"\u0045xpl\u0061in \"escrow\"\n please"}]}
            """)).Reason);

    [Fact]
    public void ALiteral_DoesNotStraddleTwoBlocks() =>
        Assert.Equal("default", Resolver.Resolve(null, null, Json.Parse("""
            {"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"expl"},{"type":"text","text":"ain"}]}]}
            """)).Reason);

    [Fact]
    public void ARegexWordBoundary_IsAtEachBlocksEdge() =>
        Assert.Equal(@"rule:\blive\b", Resolver.Resolve(null, null, Json.Parse("""
            {"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"x"},{"type":"text","text":"live"}]}]}
            """)).Reason);

    [Fact]
    public void NonAsciiAndLongTexts_AreRead()
    {
        var padding = new string('é', 300_000);
        var body = Json.Parse(System.Text.Json.JsonSerializer.Serialize(new
        {
            model = "m",
            max_tokens = 1,
            system = new[] { new { type = "text", text = padding }, new { type = "text", text = "Ünïcode BRIEF" } },
            messages = new[] { new { role = "user", content = padding + " what ARE liens?" } },
        }));
        Assert.Equal("rule:what are", Resolver.Resolve(null, null, body).Reason);
        var options = new StrategyOptions
        {
            UseDefaultContentRules = false,
            ContentRules = [new ContentRule { Pattern = "ünïcode brief", Strategy = CacheStrategy.NoCache, Scope = ContentScope.System }],
        };
        Assert.Equal(CacheStrategy.NoCache, new StrategyResolver(options).Resolve(null, null, body).Strategy);
        // The thread's buffer is still usable after a very long prompt.
        Assert.Equal("rule:explain", Resolver.Resolve(null, null, Json.Parse("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"explain"}]}""")).Reason);
    }
}
