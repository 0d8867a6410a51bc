using System.Text;
using System.Text.Json;
using ClaudeCache.Anthropic;
using static ClaudeCache.Tests.Anthropic.SseFixtures;

namespace ClaudeCache.Tests.Anthropic;

public sealed class StreamAccumulatorTests
{
    [Fact]
    public void Accumulator_TextStream_BuildsMessageInApiKeyOrder()
    {
        StreamAccumulator accumulator = Accumulate(Text);

        Assert.True(accumulator.IsCompleteSuccess);
        Assert.Equal("end_turn", accumulator.StopReason);
        Assert.Equal("claude-sonnet-4-5-20250929", accumulator.Model);
        Assert.Equal(TextMessage, Encoding.UTF8.GetString(accumulator.BuildMessageJson()));
    }

    [Fact]
    public void Accumulator_FedThroughIncrementalParser_BuildsTheSameMessage()
    {
        byte[] raw = Bytes(Text);
        var parser = new SseEventParser(initialCapacity: 16);
        var accumulator = new StreamAccumulator();
        for (int position = 0; position < raw.Length; position += 7)
        {
            parser.Append(raw.AsSpan(position, Math.Min(7, raw.Length - position)));
            while (parser.TryRead(out SseEvent e))
            {
                accumulator.Accept(e);
            }
        }

        Assert.Equal(TextMessage, Encoding.UTF8.GetString(accumulator.BuildMessageJson()));
    }

    [Fact]
    public void Accumulator_ToolUse_ConcatenatesPartialJsonIntoInput()
    {
        StreamAccumulator accumulator = Accumulate(ToolUse);

        Assert.True(accumulator.IsCompleteSuccess);
        Assert.Equal("tool_use", accumulator.StopReason);
        using JsonDocument message = JsonDocument.Parse(accumulator.BuildMessageJson());
        JsonElement tool = message.RootElement.GetProperty("content")[1];
        Assert.Equal("""{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{"location":"San Francisco, CA","unit":"celsius"}}""", tool.GetRawText());
        Assert.Equal("Let me check the weather.", message.RootElement.GetProperty("content")[0].GetProperty("text").GetString());

        // message_delta carried only output_tokens: the start's input usage stays.
        JsonElement usage = message.RootElement.GetProperty("usage");
        Assert.Equal(89, usage.GetProperty("output_tokens").GetInt32());
        Assert.Equal(25, usage.GetProperty("input_tokens").GetInt32());
    }

    [Fact]
    public void Accumulator_ToolUseWithOnlyAnEmptyPartialJson_InputIsEmptyObject()
    {
        string stream = MessageStart
            + Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"now","input":{}}}""")
            + Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":""}}""")
            + Event("content_block_stop", """{"type":"content_block_stop","index":0}""")
            + Event("message_stop", """{"type":"message_stop"}""");

        StreamAccumulator accumulator = Accumulate(stream);

        Assert.True(accumulator.IsCompleteSuccess);
        using JsonDocument message = JsonDocument.Parse(accumulator.BuildMessageJson());
        Assert.Equal("{}", message.RootElement.GetProperty("content")[0].GetProperty("input").GetRawText());
    }

    [Fact]
    public void Accumulator_PartialJsonThatDoesNotParse_IsNotCompleteSuccess()
    {
        string stream = MessageStart
            + Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}""")
            + Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}""")
            + Event("content_block_stop", """{"type":"content_block_stop","index":0}""")
            + Event("message_stop", """{"type":"message_stop"}""");

        StreamAccumulator accumulator = Accumulate(stream);

        Assert.True(accumulator.SawMessageStop);
        Assert.True(accumulator.SawInvalidEvent);
        Assert.False(accumulator.IsCompleteSuccess);
    }

    [Fact]
    public void Accumulator_Thinking_AppendsThinkingAndReplacesSignature()
    {
        StreamAccumulator accumulator = Accumulate(Thinking);

        using JsonDocument message = JsonDocument.Parse(accumulator.BuildMessageJson());
        JsonElement thinking = message.RootElement.GetProperty("content")[0];
        Assert.Equal(
            """{"type":"thinking","thinking":"Let me solve this step by step:\n\n1. 27 * 453 = 12231","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}""",
            thinking.GetRawText());
        Assert.Equal("27 * 453 = 12,231", message.RootElement.GetProperty("content")[1].GetProperty("text").GetString());
    }

    [Fact]
    public void Accumulator_CitationsDelta_AppendsToTheBlocksCitations()
    {
        StreamAccumulator accumulator = Accumulate(Citations);

        using JsonDocument message = JsonDocument.Parse(accumulator.BuildMessageJson());
        JsonElement block = message.RootElement.GetProperty("content")[0];
        JsonElement citation = Assert.Single(block.GetProperty("citations").EnumerateArray().ToList());
        Assert.Equal("The grass is green.", citation.GetProperty("cited_text").GetString());
        Assert.Equal("The grass is green.", block.GetProperty("text").GetString());
    }

    [Fact]
    public void Accumulator_ErrorEvent_IsNotCompleteSuccess()
    {
        StreamAccumulator accumulator = Accumulate(MidStreamError);

        Assert.True(accumulator.SawError);
        Assert.False(accumulator.SawMessageStop);
        Assert.False(accumulator.IsCompleteSuccess);
    }

    [Fact]
    public void Accumulator_ErrorAfterMessageStop_IsStillNotCompleteSuccess()
    {
        StreamAccumulator accumulator = Accumulate(Text + Event("error", """{"type":"error","error":{"type":"api_error","message":"x"}}"""));

        Assert.True(accumulator.SawMessageStop);
        Assert.False(accumulator.IsCompleteSuccess);
    }

    [Fact]
    public void Accumulator_StreamCutBeforeMessageStop_IsNotCompleteSuccessButStillBuilds()
    {
        StreamAccumulator accumulator = Accumulate(Cut);

        Assert.False(accumulator.SawMessageStop);
        Assert.False(accumulator.IsCompleteSuccess);
        Assert.Null(accumulator.StopReason);
        using JsonDocument message = JsonDocument.Parse(accumulator.BuildMessageJson());
        Assert.Equal("Hello", message.RootElement.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Null, message.RootElement.GetProperty("stop_reason").ValueKind);
    }

    [Fact]
    public void Accumulator_MessageDeltaNullUsageFields_DoNotOverwrite()
    {
        string stream = MessageStart
            + Event("message_delta", """{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"input_tokens":null,"cache_read_input_tokens":7,"output_tokens":3,"server_tool_use":{"web_search_requests":1}}}""")
            + Event("message_delta", """{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":4}}""")
            + Event("message_stop", """{"type":"message_stop"}""");

        StreamAccumulator accumulator = Accumulate(stream);

        Assert.Equal(
            """{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":7,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":4,"service_tier":"standard","server_tool_use":{"web_search_requests":1}}""",
            JsonDocument.Parse(accumulator.BuildMessageJson()).RootElement.GetProperty("usage").GetRawText());
        Assert.Equal("max_tokens", accumulator.StopReason);
    }

    [Fact]
    public void Accumulator_ExtraMessageKeys_FollowUsageInTheirOriginalOrder()
    {
        string stream = Event("message_start", """{"type":"message_start","message":{"container":null,"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1},"context_management":{"applied_edits":[]}}}""")
            + Event("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null,"container":{"id":"c_1"}},"usage":{"output_tokens":2}}""")
            + Event("message_stop", """{"type":"message_stop"}""");

        string json = Encoding.UTF8.GetString(Accumulate(stream).BuildMessageJson());

        Assert.Equal(
            """{"model":"m","id":"msg_1","type":"message","role":"assistant","content":[],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":2},"container":{"id":"c_1"},"context_management":{"applied_edits":[]}}""",
            json);
    }

    [Fact]
    public void Accumulator_DeltaKeyBeforeIndex_IsStillApplied()
    {
        string stream = MessageStart
            + Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""")
            + Event("content_block_delta", """{"delta":{"text":"late index","type":"text_delta"},"type":"content_block_delta","index":0}""");

        using JsonDocument message = JsonDocument.Parse(Accumulate(stream).BuildMessageJson());

        Assert.Equal("late index", message.RootElement.GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}""")]
    [InlineData("""{"type":"content_block_delta","index":5,"delta":{"type":"text_delta","text":"x"}}""")]
    [InlineData("""not json""")]
    public void Accumulator_MalformedDelta_SetsInvalidEventWithoutThrowing(string data)
    {
        StreamAccumulator accumulator = Accumulate(
            MessageStart
            + Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""")
            + Event("content_block_delta", data)
            + Event("message_stop", """{"type":"message_stop"}"""));

        Assert.True(accumulator.SawInvalidEvent);
        Assert.False(accumulator.IsCompleteSuccess);
    }

    [Fact]
    public void Accumulator_UnknownEvents_AreSkipped()
    {
        StreamAccumulator accumulator = Accumulate(Event("future_event", """{"type":"future_event","x":1}""") + Text);

        Assert.True(accumulator.IsCompleteSuccess);
        Assert.Equal(TextMessage, Encoding.UTF8.GetString(accumulator.BuildMessageJson()));
    }

    [Fact]
    public void Accumulator_WithoutMessageStart_BuildThrows()
    {
        StreamAccumulator accumulator = Accumulate(Event("message_stop", """{"type":"message_stop"}"""));

        Assert.False(accumulator.IsCompleteSuccess);
        Assert.Throws<InvalidOperationException>(() => accumulator.BuildMessageJson());
    }

    internal static StreamAccumulator Accumulate(string stream) => Accumulate(Bytes(stream));

    internal static StreamAccumulator Accumulate(byte[] raw)
    {
        var accumulator = new StreamAccumulator();
        foreach (SseEvent e in SseEventParser.ParseAll(raw))
        {
            accumulator.Accept(e);
        }

        return accumulator;
    }
}
