using ClaudeCache.Anthropic;
using ClaudeCache.Extensions.AI.Chat;
using Microsoft.Extensions.AI;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>How a chat answer's <see cref="UsageDetails"/> becomes the ledger's <see cref="TokenUsage"/>.</summary>
public sealed class ChatUsageTests
{
    [Fact]
    public void OfficialSdkShape_InputIncludesTheCacheClasses_WhichAreTakenOut()
    {
        // What Anthropic's AsIChatClient() reports for input 11, 5m writes 33 + 1h writes 44, reads 55, output 22.
        var details = new UsageDetails
        {
            InputTokenCount = 143,
            OutputTokenCount = 22,
            TotalTokenCount = 165,
            CachedInputTokenCount = 55,
            AdditionalCounts = new() { [ChatUsage.CacheCreationInputTokens] = 77 },
        };

        var usage = ChatUsage.ToTokenUsage(details);

        // No per-TTL split is reported: every write is a 5-minute write, the API's default.
        Assert.Equal(new TokenUsage(11, 22, 77, 55, 77, 0, null), usage);
        Assert.Equal(143, usage!.Value.TotalInputTokens);
    }

    [Fact]
    public void InputSmallerThanTheCacheClasses_IsAnthropicsExclusiveCount()
    {
        var details = new UsageDetails
        {
            InputTokenCount = 5,
            OutputTokenCount = 9,
            CachedInputTokenCount = 1_000,
            AdditionalCounts = new() { [ChatUsage.CacheCreationInputTokensWire] = 200 },
        };

        Assert.Equal(new TokenUsage(5, 9, 200, 1_000, 200, 0, null), ChatUsage.ToTokenUsage(details));
    }

    [Fact]
    public void NoUsage_IsNull_NotZero()
    {
        Assert.Null(ChatUsage.ToTokenUsage(null));
        Assert.Null(ChatUsage.ToTokenUsage(new UsageDetails()));
        Assert.Equal(new TokenUsage(0, 7, 0, 0, 0, 0, null), ChatUsage.ToTokenUsage(new UsageDetails { OutputTokenCount = 7 }));
    }

    [Fact]
    public void StreamUsage_IsTheSumOfItsUsageContents()
    {
        ChatResponseUpdate[] updates =
        [
            new(ChatRole.Assistant, "Hel"),
            new() { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 10, OutputTokenCount = 1 })] },
            new() { Contents = [new UsageContent(new UsageDetails { OutputTokenCount = 4 })] },
        ];

        var total = updates.Aggregate((UsageDetails?)null, ChatUsage.Sum);

        Assert.Equal(10, total!.InputTokenCount);
        Assert.Equal(5, total.OutputTokenCount);
        Assert.Null(ChatUsage.Sum(null, new ChatResponseUpdate(ChatRole.Assistant, "No usage")));
    }
}
