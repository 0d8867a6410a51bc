using System.Net;
using System.Text.Json;

namespace ClaudeCache.Testing.Tests;

public sealed class HttpJsonTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NonStreaming_KeysAndUsage_InTheApiOrder()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = _ => FakeReply.TextReply("Hello there.", usage: new FakeUsage(222, 14, CacheCreation5m: 3, CacheCreation1h: 4, CacheRead: 5)) with { MessageId = "msg_01Fixed" };
        using var http = Wire.Client(fake);

        using var response = await http.SendAsync(Wire.Post("v1/messages", Wire.Body("hi")), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.ToString());
        string body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(
            """{"model":"claude-sonnet-4-5-20250929","id":"msg_01Fixed","type":"message","role":"assistant","content":[{"type":"text","text":"Hello there."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":222,"cache_creation_input_tokens":7,"cache_read_input_tokens":5,"cache_creation":{"ephemeral_5m_input_tokens":3,"ephemeral_1h_input_tokens":4},"output_tokens":14,"service_tier":"standard","inference_geo":"not_available"}}""",
            body);
    }

    [Fact]
    public async Task EveryResponse_HasAUniqueRequestId()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        using var http = Wire.Client(fake);

        using var first = await http.SendAsync(Wire.Post("v1/messages", Wire.Body("a")), Ct);
        using var second = await http.SendAsync(Wire.Post("v1/messages", Wire.Body("a")), Ct);

        string id1 = first.Headers.GetValues("request-id").Single();
        string id2 = second.Headers.GetValues("request-id").Single();
        Assert.Matches("^req_011C[0-9A-Za-z]{20}$", id1);
        Assert.NotEqual(id1, id2);
    }

    [Fact]
    public async Task DefaultResponder_IsDeterministic_AndResolvesTheAlias()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        using var http = Wire.Client(fake);
        const string UserText = "Please analyse 12 Oak Street, Austin TX, asking $450,000, 1,800 sq ft, 3 bedrooms.";
        byte[] request = Wire.Body(UserText);

        using var a = await http.SendAsync(Wire.Post("v1/messages?beta=true", request), Ct);
        using var b = await http.SendAsync(Wire.Post("v1/messages", request), Ct);
        using var docA = JsonDocument.Parse(await a.Content.ReadAsStringAsync(Ct));
        using var docB = JsonDocument.Parse(await b.Content.ReadAsStringAsync(Ct));

        var rootA = docA.RootElement;
        Assert.Equal("claude-sonnet-4-5-20250929", rootA.GetProperty("model").GetString());
        string text = rootA.GetProperty("content")[0].GetProperty("text").GetString()!;
        Assert.StartsWith("Analysis of: " + UserText[..60] + "... ", text, StringComparison.Ordinal);
        Assert.InRange(text.Length, 200, 1000);
        Assert.Equal(text, docB.RootElement.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(request.Length / 4, rootA.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Equal("?beta=true", fake.Received[0].QueryString);
    }

    [Fact]
    public async Task UnknownModel_IsEchoed()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        using var http = Wire.Client(fake);

        using var response = await http.SendAsync(Wire.Post("v1/messages", Wire.Body("x", model: "claude-future-9")), Ct);

        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("claude-future-9", doc.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task MissingVersion_Is400_MissingKey_Is401_WithEnvelope()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        using var http = Wire.Client(fake);

        using var noVersion = await http.SendAsync(Wire.Post("v1/messages", Wire.Body("x"), version: false), Ct);
        using var noKey = await http.SendAsync(Wire.Post("v1/messages", Wire.Body("x"), auth: false), Ct);
        var bearer = Wire.Post("v1/messages", Wire.Body("x"), auth: false);
        bearer.Headers.Add("Authorization", "Bearer oauth-token");
        using var withBearer = await http.SendAsync(bearer, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, noVersion.StatusCode);
        string body = await noVersion.Content.ReadAsStringAsync(Ct);
        string requestId = noVersion.Headers.GetValues("request-id").Single();
        Assert.Equal($$"""{"type":"error","error":{"type":"invalid_request_error","message":"anthropic-version: header is required"},"request_id":"{{requestId}}"}""", body);
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Contains("\"authentication_error\"", await noKey.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, withBearer.StatusCode);
        Assert.Equal(3, fake.MessagesCalls);
    }

    [Fact]
    public async Task ScriptedError_SendsRetryAfterAndShouldRetry()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = _ => FakeReply.ErrorReply(529, "overloaded_error", "Overloaded", retryAfterSeconds: 7, shouldRetry: false);
        using var http = Wire.Client(fake);

        using var response = await http.SendAsync(Wire.Post("v1/messages", Wire.Body("x", stream: true)), Ct);

        Assert.Equal(529, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("7", response.Headers.GetValues("retry-after").Single());
        Assert.Equal("false", response.Headers.GetValues("x-should-retry").Single());
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("overloaded_error", doc.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(response.Headers.GetValues("request-id").Single(), doc.RootElement.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task MalformedBody_Is400()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        using var http = Wire.Client(fake);

        using var notJson = await http.SendAsync(Wire.Post("v1/messages", "{nope"u8.ToArray()), Ct);
        using var noMax = await http.SendAsync(Wire.Post("v1/messages", """{"model":"m","messages":[]}"""u8.ToArray()), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Contains("max_tokens: Field required", await noMax.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CountTokens_IsDeterministic_AndCounted()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        using var http = Wire.Client(fake);
        byte[] body = """{"model":"claude-sonnet-4-5","system":"You are terse.","messages":[{"role":"user","content":"How many tokens is this?"}]}"""u8.ToArray();

        using var response = await http.SendAsync(Wire.Post("v1/messages/count_tokens", body), Ct);

        int expected = (("[{\"role\":\"user\",\"content\":\"How many tokens is this?\"}]".Length) + "\"You are terse.\"".Length) / 4;
        Assert.Equal($$"""{"input_tokens":{{expected}}}""", await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(1, fake.CountTokensCalls);
        Assert.Equal(0, fake.MessagesCalls);
    }

    [Fact]
    public async Task Models_ListAndRetrieve_InTheApiShape()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        using var http = Wire.Client(fake);

        using var list = await http.SendAsync(Wire.Get("v1/models?limit=2"), Ct);
        using var one = await http.SendAsync(Wire.Get("v1/models/claude-sonnet-4-5"), Ct);
        using var missing = await http.SendAsync(Wire.Get("v1/models/nope"), Ct);

        using var doc = JsonDocument.Parse(await list.Content.ReadAsStringAsync(Ct));
        Assert.Equal(2, doc.RootElement.GetProperty("data").GetArrayLength());
        Assert.True(doc.RootElement.GetProperty("has_more").GetBoolean());
        Assert.Equal("claude-opus-4-5-20251101", doc.RootElement.GetProperty("first_id").GetString());
        Assert.Equal(
            """{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}""",
            await one.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
