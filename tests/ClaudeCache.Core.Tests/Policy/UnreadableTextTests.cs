using System.Text;
using System.Text.Json;
using ClaudeCache.Keys;
using ClaudeCache.Policy;

namespace ClaudeCache.Tests.Policy;

/// <summary>
/// Defence in depth: a body with text .NET cannot read (validation rejects it first) still gets a policy and a key
/// from callers that skip validation, instead of an <see cref="InvalidOperationException"/>.
/// </summary>
public sealed class UnreadableTextTests
{
    private static readonly StrategyResolver Resolver = new(new StrategyOptions());

    public static TheoryData<byte[]> Bodies => new()
    {
        Encoding.UTF8.GetBytes("""{"model":"m","max_tokens":1,"system":"explain \ud800","messages":[{"role":"user","content":"what is \udc00"}]}"""),
        Encoding.UTF8.GetBytes("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"explain \ud800 x","\udbff":1}]}]}"""),
        Bytes("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"explain """, [0xFF], "\"}]}"),
        Bytes("""{"model":"m","max_tokens":1,"tools":[{"name":"f","input_schema":{" """, [0xC3], "\":1}}],\"messages\":[]}"),
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void StrategyResolver_UnreadableText_ResolvesWithoutThrowing(byte[] body)
    {
        using var document = JsonDocument.Parse(body);

        var decision = Resolver.Resolve(null, null, document.RootElement);

        Assert.NotNull(decision.Reason);
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public void CacheKeyBuilder_UnreadableText_BuildsAKeyOfTheBodyAsSent(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        using var spaced = JsonDocument.Parse((byte[])[.. "  "u8, .. body]);

        var key = Key(document.RootElement);

        // The same text gives the same key; it never meets the readable request it most resembles.
        Assert.Equal(key, Key(spaced.RootElement));
        Assert.Equal(key, Key(document.RootElement.Clone()));
        using var readable = JsonDocument.Parse("""{"model":"m","max_tokens":1,"messages":[]}""");
        Assert.NotEqual(key, Key(readable.RootElement));
    }

    [Fact]
    public void CacheKeyBuilder_TwoDifferentLoneSurrogates_GetDifferentKeys()
    {
        using var a = JsonDocument.Parse("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"\ud800"}]}""");
        using var b = JsonDocument.Parse("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"\ud801"}]}""");

        Assert.NotEqual(Key(a.RootElement), Key(b.RootElement));
    }

    private static byte[] Bytes(string before, byte[] bad, string after) =>
        [.. Encoding.UTF8.GetBytes(before), .. bad, .. Encoding.UTF8.GetBytes(after)];

    private static CacheKey Key(JsonElement body) =>
        CacheKeyBuilder.Build(new CacheKeyInput("p", "", "/v1/messages", "2023-06-01", null, body));
}
