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

    [Fact]
    public void LongTexts_OneAfterAnother_EachReadWhole_AndOnlyItself()
    {
        // Past the buffer a thread keeps, the large buffer is shared and reused: a shorter text after a longer one
        // must not see the longer one's tail, and a longer one must be read whole.
        static System.Text.Json.JsonElement Body(string system, string user) =>
            Json.Parse(System.Text.Json.JsonSerializer.Serialize(new
            {
                model = "m",
                max_tokens = 1,
                system,
                messages = new[] { new { role = "user", content = user } },
            }));

        var first = new string('a', 400_000) + " what is it";
        var second = new string('b', 300_000);
        var third = "é" + new string('c', 700_000) + " live";
        foreach (var (system, user, reason) in new[]
        {
            ("s", first, "rule:what is"), ("s", second, "default"), ("t", third, @"rule:\blive\b"), ("s", second, "default"),
        })
        {
            var body = Body(system, user);
            Assert.Equal(reason, Resolver.Resolve(null, null, body).Reason);
            var text = RequestText.Rent(body, system: true, lastUserTurn: true);
            try
            {
                Assert.Equal(1, text.SystemCount);
                Assert.Equal(1, text.LastUserTurnCount);
                Assert.Equal(system, text[0].ToString());
                Assert.Equal(user, text[1].ToString());
            }
            finally
            {
                text.Return();
            }
        }
    }
}
