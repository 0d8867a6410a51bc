using System.Text.Json;

namespace ClaudeCache.Testing.Tests;

public sealed class MixedPromptWorkloadTests
{
    private static readonly IReadOnlyList<PromptWorkloadItem> Items = MixedPromptWorkload.Generate(seed: 11);

    private static JsonElement Root(PromptWorkloadItem item) => JsonDocument.Parse(item.Body).RootElement.Clone();

    [Fact]
    public void SameSeed_SameItemsByteForByte_OtherSeedDiffers()
    {
        var again = MixedPromptWorkload.Generate(seed: 11);
        var other = MixedPromptWorkload.Generate(seed: 12);

        Assert.Equal(Items, again);
        Assert.NotEqual(Items.Select(i => i.Body), other.Select(i => i.Body));
    }

    [Fact]
    public void Items_AreInSendOrder_WithEveryKindAndBothStreamingModes()
    {
        Assert.InRange(Items.Count, 400, 600);
        Assert.Equal(Items.OrderBy(i => i.Step).Select(i => i.At), Items.Select(i => i.At).Order());
        Assert.Equal(["agent", "chat", "fanout", "oneoff", "repeat"], Items.Select(i => i.Kind).Distinct().Order());
        Assert.Contains(Items, i => i.IsStreaming);
        Assert.Contains(Items, i => !i.IsStreaming);
        Assert.All(Items, i => Assert.Equal(i.IsStreaming, Root(i).TryGetProperty("stream", out var s) && s.GetBoolean()));
        Assert.DoesNotContain(Items, i => i.Body.Contains("cache_control", StringComparison.Ordinal));
    }

    [Fact]
    public void Chats_ShareThreeLongSystemPrompts_FollowUpsAppendTheFakesReplies()
    {
        var chats = Items.Where(i => i.Kind == "chat").Select(Root).ToList();
        var systems = chats.Select(c => c.GetProperty("system").GetString()!).Distinct().ToList();

        Assert.Equal(3, systems.Count);
        Assert.All(systems, s => Assert.True(PromptTokens.ForText(s) >= 2000, $"{PromptTokens.ForText(s)} tokens"));
        var followUps = chats.Where(c => c.GetProperty("messages").GetArrayLength() > 1).ToList();
        Assert.NotEmpty(followUps);
        foreach (var chat in followUps)
        {
            var messages = chat.GetProperty("messages").EnumerateArray().ToList();
            for (int i = 1; i < messages.Count; i += 2)
            {
                string question = messages[i - 1].GetProperty("content")[0].GetProperty("text").GetString()!;
                Assert.Equal(DefaultResponder.TextFor(question), messages[i].GetProperty("content")[0].GetProperty("text").GetString());
            }
        }
    }

    [Fact]
    public void AgentLoops_Have12Tools_1To8ParallelCalls_AndStepsAddingMoreThan20Blocks()
    {
        var agents = Items.Where(i => i.Kind == "agent").Select(Root).ToList();

        Assert.All(agents, a => Assert.Equal(12, a.GetProperty("tools").GetArrayLength()));
        var calls = agents.SelectMany(a => a.GetProperty("messages").EnumerateArray())
            .Where(m => m.GetProperty("role").GetString() == "assistant")
            .Select(m => m.GetProperty("content").EnumerateArray().Count(b => b.GetProperty("type").GetString() == "tool_use"))
            .ToList();
        Assert.InRange(calls.Min(), 1, 1);
        Assert.Equal(8, calls.Max());
        Assert.Contains(agents, a =>
        {
            var messages = a.GetProperty("messages").EnumerateArray().ToList();
            return messages.Count >= 3 && messages[^1].GetProperty("content").GetArrayLength() + messages[^2].GetProperty("content").GetArrayLength() > 20;
        });
    }

    [Fact]
    public void FanOutBursts_Are8ConcurrentQuestions_OnOneLargeLeadingDocument()
    {
        var bursts = Items.Where(i => i.Kind == "fanout").GroupBy(i => i.Step).ToList();

        Assert.NotEmpty(bursts);
        foreach (var burst in bursts)
        {
            Assert.Equal(8, burst.Count());
            var leading = burst.Select(i => Root(i).GetProperty("messages")[0].GetProperty("content")[0].GetProperty("text").GetString()!).Distinct().ToList();
            Assert.Single(leading);
            Assert.True(PromptTokens.ForText(leading[0]) >= 5000);
            Assert.Equal(8, burst.Select(i => i.Body).Distinct().Count());
        }
    }

    [Fact]
    public void Repeats_RepeatAnEarlierBodyExactly_OneOffsAreLongAndUnique()
    {
        var repeats = Items.Where(i => i.Kind == "repeat").ToList();
        var oneOffs = Items.Where(i => i.Kind == "oneoff").ToList();

        Assert.NotEmpty(repeats);
        Assert.All(repeats, r => Assert.Contains(Items, i => i.Kind != "repeat" && i.Step < r.Step && i.Body == r.Body));
        Assert.NotEmpty(oneOffs);
        Assert.All(oneOffs, o => Assert.True(PromptTokens.ForRequest(o.BodyBytes) >= 2500));
        Assert.Equal(oneOffs.Count, oneOffs.Select(o => o.Body).Distinct().Count());
    }
}
