using System.Text;
using System.Text.Json.Nodes;
using ClaudeCache.Anthropic;
using ClaudeCache.PromptCaching;

namespace ClaudeCache.Tests.PromptCaching;

public sealed class BreakpointPlannerTests
{
    // Sonnet's minimum is 1,024 tokens, about 4,096 bytes by the planner's estimate.
    private const string Sonnet = "claude-sonnet-4-5";
    private static readonly string Long = Filler(5_000);
    private static readonly string Short = "Be terse.";

    private static string Filler(int bytes)
    {
        var text = new StringBuilder();
        while (text.Length < bytes)
        {
            text.Append("Cap rates compare net operating income with price. ");
        }

        return text.ToString(0, bytes);
    }

    private static JsonObject Tool(string name, string description) => new()
    {
        ["name"] = name,
        ["description"] = description,
        ["input_schema"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() },
    };

    private static JsonObject Text(string text) => new() { ["type"] = "text", ["text"] = text };

    private static JsonObject Message(string role, JsonNode content) => new() { ["role"] = role, ["content"] = content };

    private static JsonObject Body(JsonArray messages, JsonArray? tools = null, JsonNode? system = null, string model = Sonnet)
    {
        var body = new JsonObject { ["model"] = model, ["max_tokens"] = 1024 };
        if (tools is not null)
        {
            body["tools"] = tools;
        }

        if (system is not null)
        {
            body["system"] = system;
        }

        body["messages"] = messages;
        body["temperature"] = 0.25;
        return body;
    }

    private static JsonObject? Plan(JsonObject body, BreakpointOptions? options = null, RequestEndpoint endpoint = RequestEndpoint.Messages)
    {
        var planned = BreakpointPlanner.Plan(Encoding.UTF8.GetBytes(body.ToJsonString()), endpoint, options ?? BreakpointOptions.Default);
        return planned is null ? null : JsonNode.Parse(planned)!.AsObject();
    }

    // Every place that carries a cache_control, as a JSON path.
    private static List<string> Breakpoints(JsonNode? node)
    {
        var found = new List<string>();
        void Walk(JsonNode? n)
        {
            if (n is JsonObject o)
            {
                foreach (var (name, value) in o)
                {
                    if (name == "cache_control")
                    {
                        found.Add(o.GetPath());
                    }
                    else
                    {
                        Walk(value);
                    }
                }
            }
            else if (n is JsonArray a)
            {
                foreach (var item in a)
                {
                    Walk(item);
                }
            }
        }

        Walk(node);
        return found;
    }

    private static JsonNode WithoutCacheControl(JsonNode node)
    {
        var copy = node.DeepClone();
        void Walk(JsonNode? n)
        {
            if (n is JsonObject o)
            {
                o.Remove("cache_control");
                foreach (var (_, value) in o)
                {
                    Walk(value);
                }
            }
            else if (n is JsonArray a)
            {
                foreach (var item in a)
                {
                    Walk(item);
                }
            }
        }

        Walk(copy);
        return copy;
    }

    public static TheoryData<string, string, int> BelowMinimum => new()
    {
        { "short chat", Sonnet, 100 },
        { "just under Sonnet's 1,024", Sonnet, 3_900 },
        { "Haiku 4.5 needs 4,096", "claude-haiku-4-5-20251001", 12_000 },
        { "Opus 4.5 needs 4,096", "claude-opus-4-5", 12_000 },
        { "unknown model defaults to 1,024", "some-other-model", 3_900 },
    };

    [Theory]
    [MemberData(nameof(BelowMinimum))]
    public void PrefixBelowTheModelsMinimum_LeavesTheRequestAlone(string why, string model, int bytes)
    {
        var body = Body([Message("user", Filler(bytes))], system: Short, model: model);
        Assert.Null(Plan(body));
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Fact]
    public void ToolsSystemAndMessages_GetBreakpointsOnLastToolLastSystemBlockAndLastUserBlock()
    {
        var body = Body(
            [
                Message("user", new JsonArray(Text("Hello"))),
                Message("assistant", new JsonArray(Text("Hi"))),
                Message("user", new JsonArray(Text("First"), Text("Analyse 12 Oak Street"))),
            ],
            tools: [Tool("get_listing", Long), Tool("get_comps", "Comparable sales.")],
            system: new JsonArray(Text(Long), Text("Answer in English.")));

        var planned = Plan(body);

        Assert.NotNull(planned);
        Assert.Equal(["$.tools[1]", "$.system[1]", "$.messages[2].content[1]"], Breakpoints(planned));
        Assert.Equal("""{"type":"ephemeral"}""", planned!["tools"]![1]!["cache_control"]!.ToJsonString());
    }

    [Fact]
    public void EachBreakpoint_NeedsTheMinimumUpToItself()
    {
        // Tools alone are too short to cache; tools + the long system prompt are not.
        var body = Body([Message("user", new JsonArray(Text("Hello")))], tools: [Tool("get_listing", "Fetch a listing.")], system: new JsonArray(Text(Long)));

        Assert.Equal(["$.system[0]", "$.messages[0].content[0]"], Breakpoints(Plan(body)));
    }

    public static TheoryData<string, string> AlreadyPlaced => new()
    {
        { "top level", """{"model":"claude-sonnet-4-5","max_tokens":10,"cache_control":{"type":"ephemeral"},"system":"LONG","messages":[{"role":"user","content":"Hi"}]}""" },
        { "tool", """{"model":"claude-sonnet-4-5","max_tokens":10,"tools":[{"name":"t","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],"system":"LONG","messages":[{"role":"user","content":"Hi"}]}""" },
        { "system block", """{"model":"claude-sonnet-4-5","max_tokens":10,"system":[{"type":"text","text":"LONG","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Hi"}]}""" },
        { "message block", """{"model":"claude-sonnet-4-5","max_tokens":10,"system":"LONG","messages":[{"role":"user","content":[{"type":"text","text":"Hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]}]}""" },
        { "inside a tool_result", """{"model":"claude-sonnet-4-5","max_tokens":10,"system":"LONG","messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"r","cache_control":{"type":"ephemeral"}}]}]}]}""" },
    };

    [Theory]
    [MemberData(nameof(AlreadyPlaced))]
    public void ExistingCacheControl_LeavesTheRequestAlone(string where, string json)
    {
        var body = JsonNode.Parse(json.Replace("LONG", Long, StringComparison.Ordinal))!.AsObject();
        Assert.Null(Plan(body));
        Assert.False(string.IsNullOrEmpty(where));
    }

    [Fact]
    public void CacheControlInsideAToolSchema_IsTheCallersData_NotABreakpoint()
    {
        var tool = Tool("set_header", "Sets an HTTP header.");
        tool["input_schema"]!["properties"]!["cache_control"] = new JsonObject { ["type"] = "string" };
        var body = Body([Message("user", "Hi")], tools: [tool], system: Long);

        var planned = Breakpoints(Plan(body)).Where(path => !path.Contains("input_schema", StringComparison.Ordinal));
        Assert.Equal(["$.system[0]", "$.messages[0].content[0]"], planned);
    }

    [Fact]
    public void CountTokens_IsLeftAlone()
    {
        var body = Body([Message("user", Long)], system: Long);
        Assert.Null(Plan(body, endpoint: RequestEndpoint.CountTokens));
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("not json")]
    [InlineData("{\"model\":\"claude-sonnet-4-5\"}")]
    public void NothingToPlan_ReturnsNull(string body) =>
        Assert.Null(BreakpointPlanner.Plan(Encoding.UTF8.GetBytes(body), BreakpointOptions.Default));

    [Fact]
    public void StringSystemAndContent_BecomeOneBlockOnlyWhereABreakpointGoes()
    {
        var body = Body(
            [Message("user", "Hello"), Message("assistant", "Hi"), Message("user", "Analyse 12 Oak Street")],
            system: Long);

        var planned = Plan(body)!;

        Assert.Equal(["$.system[0]", "$.messages[2].content[0]"], Breakpoints(planned));
        Assert.Equal(
            new JsonArray(new JsonObject { ["type"] = "text", ["text"] = Long, ["cache_control"] = new JsonObject { ["type"] = "ephemeral" } }).ToJsonString(),
            planned["system"]!.ToJsonString());
        Assert.Equal("Analyse 12 Oak Street", planned["messages"]![2]!["content"]![0]!["text"]!.GetValue<string>());
        // Messages without a breakpoint keep their shorthand.
        Assert.Equal("Hello", planned["messages"]![0]!["content"]!.GetValue<string>());
        Assert.Equal("Hi", planned["messages"]![1]!["content"]!.GetValue<string>());
    }

    [Fact]
    public void OneHourOption_MarksEveryBreakpointWithTtl1h()
    {
        var body = Body([Message("user", "Hello")], tools: [Tool("get_listing", Long)], system: Long);

        var planned = Plan(body, new BreakpointOptions { OneHourTtl = true })!;

        var expected = """{"type":"ephemeral","ttl":"1h"}""";
        Assert.Equal(expected, planned["tools"]![0]!["cache_control"]!.ToJsonString());
        Assert.Equal(expected, planned["system"]![0]!["cache_control"]!.ToJsonString());
        Assert.Equal(expected, planned["messages"]![0]!["content"]![0]!["cache_control"]!.ToJsonString());
    }

    [Fact]
    public void LongConversation_GetsALookbackBreakpointAboutTwentyBlocksBack_AndNeverMoreThanFour()
    {
        var messages = new JsonArray();
        for (var turn = 0; turn < 15; turn++)
        {
            messages.Add(Message("user", new JsonArray(Text($"Question {turn}"))));
            messages.Add(Message("assistant", new JsonArray(Text($"Answer {turn}"))));
        }

        messages.Add(Message("user", new JsonArray(Text("Last question"))));
        var body = Body(messages, tools: [Tool("get_listing", Long)], system: Long);

        var planned = Breakpoints(Plan(body));

        // 31 blocks: the last user block is at position 30; the earliest user turn inside its 20-block window is
        // message 12 (position 12... 30 - 12 = 18 < 20).
        Assert.Equal(["$.tools[0]", "$.system[0]", "$.messages[12].content[0]", "$.messages[30].content[0]"], planned);
        Assert.True(planned.Count <= BreakpointPlanner.MaxBreakpoints);
    }

    [Fact]
    public void ShortConversation_GetsNoLookbackBreakpoint()
    {
        var messages = new JsonArray();
        for (var turn = 0; turn < 5; turn++)
        {
            messages.Add(Message("user", $"Question {turn}"));
            messages.Add(Message("assistant", $"Answer {turn}"));
        }

        messages.Add(Message("user", "Last question"));

        Assert.Equal(["$.system[0]", "$.messages[10].content[0]"], Breakpoints(Plan(Body(messages, system: Long))));
    }

    [Fact]
    public void ARunOfToolBlocks_CountsBlockByBlock_SoTheChainHoldsUnderBothReadings()
    {
        // 30 tool_use/tool_result pairs span 60 blocks. Whether Anthropic counts the run as one lookback block or
        // every block, a breakpoint on a user turn within 20 blocks of the last one reaches it: every block counts.
        var messages = new JsonArray { Message("user", "Start") };
        for (var i = 0; i < 30; i++)
        {
            messages.Add(Message("assistant", new JsonArray(new JsonObject { ["type"] = "tool_use", ["id"] = $"toolu_{i}", ["name"] = "get_listing", ["input"] = new JsonObject() })));
            messages.Add(Message("user", new JsonArray(new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = $"toolu_{i}", ["content"] = "ok" })));
        }

        // The last turn is message 60 (block 61 after the system block); the earliest user turn within 20 blocks of it is message 42.
        Assert.Equal(["$.system[0]", "$.messages[42].content[0]", "$.messages[60].content[0]"], Breakpoints(Plan(Body(messages, system: Long))));
    }

    [Theory]
    [InlineData("""{"type":"text","text":""}""")]
    [InlineData("""{"type":"thinking","thinking":"hmm","signature":"s"}""")]
    public void LastBlockThatCannotCarryCacheControl_GetsNone(string lastBlock)
    {
        var body = Body([Message("user", new JsonArray(Text("Hello"), JsonNode.Parse(lastBlock)))], system: Long);
        Assert.Equal(["$.system[0]"], Breakpoints(Plan(body)));
    }

    public static TheoryData<string> Bodies => new()
    {
        Body([Message("user", new JsonArray(Text(Long)))]).ToJsonString(),
        Body(
            [Message("user", new JsonArray(Text("Hello"), new JsonObject { ["type"] = "image", ["source"] = new JsonObject { ["type"] = "base64", ["media_type"] = "image/png", ["data"] = "iVBORw0KGgo=" } })),
             Message("assistant", new JsonArray(Text("Wie geht's? — ünïcödé ✓ \"quoted\" \\ 𝄞"))),
             Message("user", new JsonArray(Text("1.50e3 and 0.1")))],
            tools: [Tool("get_listing", Long), Tool("get_comps", "Comparable sales, ½ mile.")],
            system: new JsonArray(Text(Long), Text("Answer in English."))).ToJsonString(),
        """{"stop_sequences":["END"],"model":"claude-opus-5","metadata":{"user_id":"u"},"max_tokens":1e3,"system":[{"type":"text","text":"LONG"}],"messages":[{"role":"user","content":[{"type":"text","text":"caf\u00e9 \ud834\udd1e"}]}],"top_k":40,"tools":[{"name":"t","input_schema":{"type":"object","properties":{"a":{"type":"number","default":1.0}}}}]}"""
            .Replace("LONG", Long, StringComparison.Ordinal),
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void OutputReparses_AndEqualsTheInputApartFromCacheControl(string json)
    {
        var planned = BreakpointPlanner.Plan(Encoding.UTF8.GetBytes(json), BreakpointOptions.Default);

        Assert.NotNull(planned);
        var output = JsonNode.Parse(planned)!;
        Assert.NotEmpty(Breakpoints(output));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), WithoutCacheControl(output)));
        // Property order is kept too.
        Assert.Equal(
            JsonNode.Parse(json)!.AsObject().Select(p => p.Key),
            output.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void UntouchedValues_KeepTheirOriginalBytes()
    {
        var json = """{"model":"claude-sonnet-4-5","max_tokens":1.024e3,"metadata":{ "user_id" : "caf\u00e9" },"system":"LONG","messages":[{"role":"user","content":"Résumé — 𝄞"}]}"""
            .Replace("LONG", Long, StringComparison.Ordinal);

        var planned = Encoding.UTF8.GetString(BreakpointPlanner.Plan(Encoding.UTF8.GetBytes(json), BreakpointOptions.Default)!);

        Assert.Contains("\"max_tokens\":1.024e3,", planned, StringComparison.Ordinal);
        Assert.Contains("""{ "user_id" : "caf\u00e9" }""", planned, StringComparison.Ordinal);
        Assert.Contains("\"Résumé — 𝄞\"", planned, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("claude-fable-5-1", 512)]
    [InlineData("claude-opus-5", 512)]
    [InlineData("claude-opus-5-5", 512)]
    [InlineData("claude-opus-4-8", 1024)]
    [InlineData("claude-opus-4-7", 2048)]
    [InlineData("claude-opus-4-6", 4096)]
    [InlineData("claude-opus-4-5-20251101", 4096)]
    [InlineData("claude-opus-4-1-20250805", 1024)]
    [InlineData("claude-opus-4-20250514", 1024)]
    [InlineData("claude-opus-4-50", 1024)]
    [InlineData("claude-sonnet-4-5-20250929", 1024)]
    [InlineData("claude-sonnet-5-5", 1024)]
    [InlineData("claude-haiku-4-5", 4096)]
    [InlineData("claude-3-5-haiku-20241022", 2048)]
    [InlineData("claude-3-7-sonnet-latest", 1024)]
    [InlineData("gpt-something", 1024)]
    [InlineData("", 1024)]
    public void MinimumCacheablePrefix_MatchesTheLongestModelIdPrefix(string model, int tokens) =>
        Assert.Equal(tokens, MinimumCacheablePrefix.For(model));
}
