using System.Text.Json;
using ClaudeCache.Anthropic;

namespace ClaudeCache.Tests.Anthropic;

public sealed class MessagesRequestValidatorTests
{
    private const string Valid = """{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":"Hello"}]}""";

    [Theory]
    [InlineData(Valid)]
    [InlineData("""{"model":"m","max_tokens":0,"messages":[]}""")]
    [InlineData("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral"}}]},{"role":"assistant","content":"yo"}],"stream":true,"temperature":0,"top_p":0.9,"top_k":5,"stop_sequences":["\n\nHuman:"],"system":[{"type":"text","text":"Be brief."}],"tools":[{"name":"f","input_schema":{"type":"object"}}],"metadata":{"user_id":"u"},"thinking":{"type":"enabled","budget_tokens":1024},"unknown_field":42}""")]
    [InlineData("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"system":"Be brief.","temperature":1,"stream":false}""")]
    [InlineData("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"auto","disable_parallel_tool_use":true},"tools":[{"type":"custom","name":"f","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}},{"type":"web_search_20250305","name":"web_search","max_uses":3},{"type":"bash_20250124","name":"bash"},{"type":"mcp_toolset","mcp_server_name":"s"}]}""")]
    [InlineData("""{"model":"m","max_tokens":16,"messages":[],"tool_choice":{"type":"tool","name":"f"},"top_p":1,"top_k":0,"metadata":{"user_id":null}}""")]
    [InlineData("""{"model":"m","max_tokens":16,"messages":[],"tool_choice":{"type":"none"},"top_p":0,"metadata":{},"thinking":{"type":"adaptive"}}""")]
    [InlineData("""{"model":"m","max_tokens":16,"messages":[],"tool_choice":{"type":"any"},"thinking":{"type":"disabled"}}""")]
    [InlineData("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"caf\u00e9 \ud83d\ude00 \\ud800 é 😀"}]}""")]
    public void Validate_AcceptableMessagesRequest_ReturnsNull(string body) =>
        Assert.Null(Validate(body, RequestEndpoint.Messages));

    [Fact]
    public void Validate_CountTokensWithoutMaxTokens_ReturnsNull() =>
        Assert.Null(Validate("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", RequestEndpoint.CountTokens));

    [Theory]
    [InlineData("[]", "Input should be a valid dictionary or object to extract fields from")]
    [InlineData("\"text\"", "Input should be a valid dictionary or object to extract fields from")]
    [InlineData("""{"max_tokens":1,"messages":[]}""", "model: Field required")]
    [InlineData("""{"model":3,"max_tokens":1,"messages":[]}""", "model: Input should be a valid string")]
    [InlineData("""{"model":"","max_tokens":1,"messages":[]}""", "model: String should have at least 1 character")]
    [InlineData("""{"model":"m","max_tokens":1}""", "messages: Field required")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":{"role":"user"}}""", "messages: Input should be a valid list")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":["hi"]}""", "messages.0: Input should be a valid dictionary")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"content":"hi"}]}""", "messages.0.role: Field required")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"},{"role":"system","content":"b"}]}""", "messages.1.role: Input should be 'user' or 'assistant'")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user"}]}""", "messages.0.content: Field required")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":5}]}""", "messages.0.content: Input should be a valid string or a valid list")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"a"},"b"]}]}""", "messages.0.content.1: Input should be a valid dictionary")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"text":"a"}]}]}""", "messages.0.content.0.type: Field required")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":1}]}]}""", "messages.0.content.0.type: Input should be a valid string")]
    [InlineData("""{"model":"m","messages":[]}""", "max_tokens: Field required")]
    [InlineData("""{"model":"m","max_tokens":"1","messages":[]}""", "max_tokens: Input should be a valid integer")]
    [InlineData("""{"model":"m","max_tokens":1.5,"messages":[]}""", "max_tokens: Input should be a valid integer")]
    [InlineData("""{"model":"m","max_tokens":-1,"messages":[]}""", "max_tokens: Input should be greater than or equal to 0")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"stream":"yes"}""", "stream: Input should be a valid boolean")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"temperature":"hot"}""", "temperature: Input should be a valid number")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"temperature":1.5}""", "temperature: Input should be less than or equal to 1")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"temperature":-0.1}""", "temperature: Input should be greater than or equal to 0")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"top_p":null}""", "top_p: Input should be a valid number")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"top_k":-3}""", "top_k: Input should be greater than or equal to 0")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"stop_sequences":"STOP"}""", "stop_sequences: Input should be a valid list")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"stop_sequences":["a",1]}""", "stop_sequences.1: Input should be a valid string")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"system":{"type":"text"}}""", "system: Input should be a valid string or a valid list")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"system":[{"text":"x"}]}""", "system.0.type: Field required")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tools":{}}""", "tools: Input should be a valid list")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tools":[[]]}""", "tools.0: Input should be a valid dictionary")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"metadata":"x"}""", "metadata: Input should be a valid dictionary")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"thinking":true}""", "thinking: Input should be a valid dictionary")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tool_choice":null}""", "tool_choice: Input should be a valid dictionary or object to extract fields from")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tool_choice":0}""", "tool_choice: Input should be a valid dictionary or object to extract fields from")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tool_choice":"s"}""", "tool_choice: Input should be a valid dictionary or object to extract fields from")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tool_choice":[]}""", "tool_choice: Input should be a valid dictionary or object to extract fields from")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tool_choice":{}}""", "tool_choice: Unable to extract tag using discriminator 'type'")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tool_choice":{"type":"some"}}""", "tool_choice: Input tag 'some' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tool_choice":{"type":7}}""", "tool_choice: Input tag '7' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tool_choice":{"type":"tool"}}""", "tool_choice.tool.name: Field required")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tool_choice":{"type":"tool","name":1}}""", "tool_choice.tool.name: Input should be a valid string")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tool_choice":{"type":"any","disable_parallel_tool_use":"yes"}}""", "tool_choice.any.disable_parallel_tool_use: Input should be a valid boolean")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"top_p":-1}""", "top_p: Input should be greater than or equal to 0")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"top_p":1.5}""", "top_p: Input should be less than or equal to 1")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"top_k":2.5}""", "top_k: Input should be a valid integer")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tools":[{}]}""", "tools.0.name: Field required")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"f"}]}""", "tools.0.input_schema: Field required")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"custom","name":"f","input_schema":[]}]}""", "tools.0.input_schema: Input should be a valid dictionary")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":2,"input_schema":{}}]}""", "tools.0.name: Input should be a valid string")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"f","input_schema":{}},{"type":null}]}""", "tools.1.type: Input should be a valid string")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"thinking":{}}""", "thinking: Unable to extract tag using discriminator 'type'")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"thinking":{"type":"on"}}""", "thinking: Input tag 'on' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"thinking":{"type":"enabled"}}""", "thinking.enabled.budget_tokens: Field required")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"thinking":{"type":"enabled","budget_tokens":"2048"}}""", "thinking.enabled.budget_tokens: Input should be a valid integer")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"thinking":{"type":"enabled","budget_tokens":1023}}""", "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"metadata":{"a":1}}""", "metadata.a: Extra inputs are not permitted")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[],"metadata":{"user_id":5}}""", "metadata.user_id: Input should be a valid string")]
    public void Validate_BadMessagesRequest_NamesTheField(string body, string expected) =>
        Assert.Equal(expected, Validate(body, RequestEndpoint.Messages));

    public static TheoryData<byte[]> UnreadableText => new()
    {
        Utf8("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi \ud800"}]}"""),
        Utf8("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi \udc00 there"}]}"""),
        Utf8("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"\ud800\u0041"}]}"""),
        Utf8("""{"model":"m","max_tokens":1,"messages":[],"metadata":{"\ud800":1}}"""),
        Utf8("""{"model":"\udfff","max_tokens":1,"messages":[]}"""),
        Utf8("""{"\ud800":1,"model":"m","max_tokens":1,"messages":[]}"""),
        Bytes("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi """, [0xFF], "\"}]}"),
        Bytes("""{"model":"m","max_tokens":1,"messages":[],"x""", [0xC0, 0x80], "\":1}"),
        Bytes("""{"model":"m","max_tokens":1,"messages":[],"system":" """, [0xED, 0xA0, 0x80], "\"}"),
        Bytes("""{"model":"m","max_tokens":1,"messages":[],"system":" """, [0xE2, 0x82], "\"}"),
    };

    [Theory]
    [MemberData(nameof(UnreadableText))]
    public void Validate_LoneSurrogateOrInvalidUtf8AnywhereInTheBody_IsRejectedOnBothEndpoints(byte[] body)
    {
        using JsonDocument document = JsonDocument.Parse(body);
        foreach (RequestEndpoint endpoint in new[] { RequestEndpoint.Messages, RequestEndpoint.CountTokens })
        {
            string? problem = MessagesRequestValidator.Validate(document.RootElement, endpoint);
            Assert.NotNull(problem);
            Assert.True(problem.Contains("UTF-8", StringComparison.Ordinal) || problem.Contains("surrogate", StringComparison.Ordinal), problem);
        }
    }

    [Fact]
    public void Validate_CountTokensWithBadMessages_StillRejected() =>
        Assert.Equal("messages: Field required", Validate("""{"model":"m"}""", RequestEndpoint.CountTokens));

    [Theory]
    [InlineData("""{"stream":true}""", true)]
    [InlineData("""{"stream":false}""", false)]
    [InlineData("""{}""", false)]
    [InlineData("""{"stream":"true"}""", false)]
    [InlineData("""[]""", false)]
    public void IsStreaming_OnlyTrueMeansStream(string body, bool expected)
    {
        using JsonDocument document = JsonDocument.Parse(body);
        Assert.Equal(expected, MessagesRequestValidator.IsStreaming(document.RootElement));
    }

    private static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    // A body with bytes that are not UTF-8 between two pieces of text.
    private static byte[] Bytes(string before, byte[] bad, string after) => [.. Utf8(before), .. bad, .. Utf8(after)];

    private static string? Validate(string body, RequestEndpoint endpoint)
    {
        using JsonDocument document = JsonDocument.Parse(body);
        return MessagesRequestValidator.Validate(document.RootElement, endpoint);
    }

    [Theory]
    [InlineData(150, "'tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt…'")]
    [InlineData(3_000_000, "'(3000002 bytes)'")]
    public void AnOverlongTag_IsNotEchoedWhole(int length, string echoed)
    {
        var tag = new string('t', length);
        using var document = JsonDocument.Parse("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[],\"tool_choice\":{\"type\":\"" + tag + "\"}}");

        var error = MessagesRequestValidator.Validate(document.RootElement, RequestEndpoint.Messages);

        Assert.NotNull(error);
        Assert.StartsWith("tool_choice: Input tag '", error, StringComparison.Ordinal);
        Assert.Contains(echoed, error, StringComparison.Ordinal);
        Assert.True(error.Length < 300, error);
    }
}
