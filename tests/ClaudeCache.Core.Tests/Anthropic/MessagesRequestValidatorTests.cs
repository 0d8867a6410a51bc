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
    public void Validate_BadMessagesRequest_NamesTheField(string body, string expected) =>
        Assert.Equal(expected, Validate(body, RequestEndpoint.Messages));

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

    private static string? Validate(string body, RequestEndpoint endpoint)
    {
        using JsonDocument document = JsonDocument.Parse(body);
        return MessagesRequestValidator.Validate(document.RootElement, endpoint);
    }
}
