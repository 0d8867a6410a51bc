using System.Text.Json;

namespace ClaudeCache.Testing.Tests;

public sealed class WorkloadTests
{
    [Fact]
    public void Generate_IsDeterministic_ForASeed()
    {
        var a = RealEstateWorkload.Generate(200, 0.3, seed: 42).ToList();
        var b = RealEstateWorkload.Generate(200, 0.3, seed: 42).ToList();
        var c = RealEstateWorkload.Generate(200, 0.3, seed: 43).ToList();

        Assert.Equal(a.Select(i => i.Body), b.Select(i => i.Body));
        Assert.NotEqual(a.Select(i => i.Body), c.Select(i => i.Body));
    }

    [Fact]
    public void Generate_RepeatsAboutTheRequestedRatio_AndCoversEveryContextType()
    {
        var items = RealEstateWorkload.Generate(1000, 0.4, seed: 7).ToList();

        int repeats = items.Count(i => i.IsRepeat);
        Assert.InRange(repeats, 330, 470);
        Assert.All(items.Where(i => i.IsRepeat), r => Assert.Contains(items, i => !i.IsRepeat && i.Body == r.Body));
        Assert.Equal(
            ["coaching", "explanation", "lead_qualification", "market_analysis", "property_analysis"],
            items.Select(i => i.ContextType).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Bodies_AreValidMessagesRequests()
    {
        foreach (var item in RealEstateWorkload.Generate(100, 0.0, seed: 1))
        {
            using var doc = JsonDocument.Parse(item.BodyBytes);
            var root = doc.RootElement;
            Assert.StartsWith("claude-", root.GetProperty("model").GetString(), StringComparison.Ordinal);
            Assert.True(root.GetProperty("max_tokens").GetInt32() > 0);
            Assert.Equal(item.UserText, DefaultResponder.LastUserText(root));
            Assert.Equal(item.IsStreaming, root.TryGetProperty("stream", out var s) && s.GetBoolean());
            if (item.ContextType == RealEstateWorkload.PropertyAnalysisType)
            {
                Assert.True(root.GetProperty("system").GetString()!.Split(' ').Length > 200);
            }
        }
    }

    [Fact]
    public void MessagesRequestBody_IsCompactAndMinimal()
    {
        byte[] body = RealEstateWorkload.MessagesRequestBody("claude-sonnet-4-5", "Explain what a cap rate is", stream: true, system: "Be brief.", maxTokens: 64);

        Assert.Equal(
            """{"model":"claude-sonnet-4-5","max_tokens":64,"system":"Be brief.","messages":[{"role":"user","content":"Explain what a cap rate is"}],"stream":true}""",
            Wire.Utf8(body));
    }
}
