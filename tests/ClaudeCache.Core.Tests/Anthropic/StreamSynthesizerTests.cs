using System.Text;
using System.Text.Json;
using ClaudeCache.Anthropic;
using static ClaudeCache.Tests.Anthropic.SseFixtures;

namespace ClaudeCache.Tests.Anthropic;

public sealed class StreamSynthesizerTests
{
    private const string Usage =
        "\"usage\":" + """{"input_tokens":2095,"cache_creation_input_tokens":0,"cache_read_input_tokens":1800,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":503,"service_tier":"standard"}""";

    private const string Head = """{"model":"claude-sonnet-4-5-20250929","id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","content":""";

    public static TheoryData<string> Messages() => new()
    {
        TextMessage,
        Head + """[{"type":"text","text":"Short."}],"stop_reason":"end_turn","stop_sequence":null,""" + Usage + "}",
        Head + "[" + JsonSerializer.Serialize(new { type = "text", text = string.Concat(Enumerable.Repeat("Long text with émojis 🙂🙃 and \"quotes\"\n", 40)) }) + """],"stop_reason":"max_tokens","stop_sequence":null,""" + Usage + "}",
        Head + """[{"type":"text","text":"I'll check."},{"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"location":"San Francisco, CA","nested":{"list":[1,2.5,true,null],"text":"ü"}}},{"type":"tool_use","id":"toolu_01B","name":"now","input":{}}],"stop_reason":"tool_use","stop_sequence":null,""" + Usage + "}",
        Head + """[{"type":"thinking","thinking":"Step 1: consider.\n\nStep 2: answer.","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4a"},{"type":"text","text":"Done."}],"stop_reason":"end_turn","stop_sequence":null,""" + Usage + "}",
        Head + """[{"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{"query":"weather"}},{"type":"web_search_tool_result","tool_use_id":"srvtoolu_01","content":[{"type":"web_search_result","url":"https://example.com","title":"Weather","encrypted_content":"abc","page_age":null}]},{"citations":[{"type":"web_search_result_location","url":"https://example.com","title":"Weather","encrypted_index":"x","cited_text":"Sunny"}],"type":"text","text":"It is sunny."}],"stop_reason":"end_turn","stop_sequence":null,""" + Usage + "}",
        Head + """[],"stop_reason":"stop_sequence","stop_sequence":"\n\nHuman:",""" + Usage + ""","container":null}""",
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Synthesize_ThenAccumulate_GivesBackTheSameMessage(string message)
    {
        byte[] stream = StreamSynthesizer.Synthesize(Bytes(message));

        StreamAccumulator accumulator = StreamAccumulatorTests.Accumulate(stream);

        Assert.True(accumulator.IsCompleteSuccess);
        using JsonDocument expected = JsonDocument.Parse(message);
        using JsonDocument actual = JsonDocument.Parse(accumulator.BuildMessageJson());
        Assert.True(JsonElement.DeepEquals(expected.RootElement, actual.RootElement), Encoding.UTF8.GetString(accumulator.BuildMessageJson()));
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Synthesize_EveryEvent_IsNamedCompactAndTypedAsItsName(string message)
    {
        byte[] stream = StreamSynthesizer.Synthesize(Bytes(message));

        IReadOnlyList<SseEvent> events = SseEventParser.ParseAll(stream, out int trailing);

        Assert.Equal(0, trailing);
        Assert.Equal("message_start", events[0].Name);
        Assert.Equal("message_delta", events[^2].Name);
        Assert.Equal("message_stop", events[^1].Name);
        Assert.True(stream.AsSpan().EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"u8));
        foreach (SseEvent e in events)
        {
            Assert.True(stream.AsSpan(e.RawStart).StartsWith(Bytes($"event: {e.Name}\ndata: {{\"type\":\"{e.Name}\"")));
            using JsonDocument data = JsonDocument.Parse(e.Data);
            Assert.Equal(e.Name, data.RootElement.GetProperty("type").GetString());
            Assert.Equal(Compact(data.RootElement), e.Data.ToArray());
        }
    }

    [Fact]
    public void Synthesize_MessageStart_HasEmptyContentNullStopFieldsAndOneOutputToken()
    {
        byte[] stream = StreamSynthesizer.Synthesize(Bytes(TextMessage));

        using JsonDocument start = JsonDocument.Parse(SseEventParser.ParseAll(stream)[0].Data);
        JsonElement message = start.RootElement.GetProperty("message");
        Assert.Equal(0, message.GetProperty("content").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_reason").ValueKind);
        Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_sequence").ValueKind);
        Assert.Equal(1, message.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal(25, message.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Equal("model", message.EnumerateObject().First().Name);
    }

    [Fact]
    public void Synthesize_LongText_IsSentInChunksWithoutSplittingSurrogatePairs()
    {
        string text = string.Concat(Enumerable.Repeat("abc🙂", 100));
        byte[] message = Bytes(Head + "[" + JsonSerializer.Serialize(new { type = "text", text }) + """],"stop_reason":"end_turn","stop_sequence":null,""" + Usage + "}");

        List<string> deltas = SseEventParser.ParseAll(StreamSynthesizer.Synthesize(message))
            .Where(e => e.Name == "content_block_delta")
            .Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("delta").GetProperty("text").GetString()!)
            .ToList();

        Assert.True(deltas.Count >= text.Length / (StreamSynthesizer.ChunkLength + 1));
        Assert.All(deltas, d => Assert.False(char.IsHighSurrogate(d[^1])));
        Assert.Equal(text, string.Concat(deltas));
    }

    [Fact]
    public void Synthesize_ToolUse_StartsEmptyAndSendsInputAsJsonDeltasBeginningWithEmpty()
    {
        byte[] message = Bytes(Head + """[{"type":"tool_use","id":"toolu_1","name":"f","input":{"a":1}}],"stop_reason":"tool_use","stop_sequence":null,""" + Usage + "}");

        IReadOnlyList<SseEvent> events = SseEventParser.ParseAll(StreamSynthesizer.Synthesize(message));

        Assert.Equal(
            """{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}""",
            Encoding.UTF8.GetString(events[1].Data.Span));
        Assert.Equal(
            """{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":""}}""",
            Encoding.UTF8.GetString(events[2].Data.Span));
        Assert.Equal(
            """{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\":1}"}}""",
            Encoding.UTF8.GetString(events[3].Data.Span));
        Assert.Equal("""{"type":"content_block_stop","index":0}""", Encoding.UTF8.GetString(events[4].Data.Span));
    }

    [Fact]
    public void Synthesize_MessageDelta_CarriesStopFieldsAndFullUsage()
    {
        IReadOnlyList<SseEvent> events = SseEventParser.ParseAll(StreamSynthesizer.Synthesize(Bytes(TextMessage)));

        Assert.Equal(
            """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":15,"service_tier":"standard"}}""",
            Encoding.UTF8.GetString(events[^2].Data.Span));
    }

    [Fact]
    public void Synthesize_NotAnObject_Throws() =>
        Assert.Throws<ArgumentException>(() => StreamSynthesizer.Synthesize("[1]"u8));

    private static byte[] Compact(JsonElement element)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            element.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
