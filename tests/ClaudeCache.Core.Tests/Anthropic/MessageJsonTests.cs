using ClaudeCache.Anthropic;
using static ClaudeCache.Tests.Anthropic.SseFixtures;

namespace ClaudeCache.Tests.Anthropic;

public sealed class MessageJsonTests
{
    [Fact]
    public void Read_FromApiMessage_ReturnsModelStopReasonAndUsage()
    {
        byte[] json = Bytes("""{"model":"claude-opus-4-1-20250805","id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"usage: not this one"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":222,"cache_creation_input_tokens":1500,"cache_read_input_tokens":3000,"cache_creation":{"ephemeral_5m_input_tokens":500,"ephemeral_1h_input_tokens":1000},"output_tokens":14,"service_tier":"priority","inference_geo":"not_available"}}""");

        Assert.Equal("claude-opus-4-1-20250805", MessageJson.ReadModel(json));
        Assert.Equal("max_tokens", MessageJson.ReadStopReason(json));
        TokenUsage usage = MessageJson.ReadUsage(json);
        Assert.Equal(new TokenUsage(222, 14, 1500, 3000, 500, 1000, "priority"), usage);
        Assert.Equal(4722, usage.TotalInputTokens);
    }

    [Fact]
    public void ReadUsage_WithoutPerTtlSplit_CountsWritesAsFiveMinute()
    {
        byte[] json = Bytes("""{"usage":{"input_tokens":1,"cache_creation_input_tokens":30,"cache_read_input_tokens":null,"output_tokens":2}}""");

        Assert.Equal(new TokenUsage(1, 2, 30, 0, 30, 0, null), MessageJson.ReadUsage(json));
    }

    [Fact]
    public void Read_MissingFields_GiveNullAndZero()
    {
        byte[] json = Bytes("""{"type":"message","stop_reason":null}""");

        Assert.Null(MessageJson.ReadModel(json));
        Assert.Null(MessageJson.ReadStopReason(json));
        Assert.Equal(default, MessageJson.ReadUsage(json));
    }

    [Fact]
    public void Read_AccumulatedStreamMessage_RoundTripsUsage()
    {
        byte[] json = StreamAccumulatorTests.Accumulate(Text).BuildMessageJson();

        Assert.Equal(new TokenUsage(25, 15, 0, 0, 0, 0, "standard"), MessageJson.ReadUsage(json));
    }
}
