using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClaudeCache.Testing.Tests;

/// <summary>Builds Messages bodies with cache_control markers, and reads back the usage the fake reports.</summary>
internal static class CacheRequest
{
    public static readonly JsonObject FiveMinutes = new() { ["type"] = "ephemeral" };

    public static readonly JsonObject OneHour = new() { ["type"] = "ephemeral", ["ttl"] = "1h" };

    /// <summary>ASCII text of exactly <paramref name="tokens"/> × 4 bytes (PromptTokens' estimate), distinct per <paramref name="seed"/>.</summary>
    public static string Text(int tokens, string seed)
    {
        var sb = new StringBuilder(tokens * 4);
        while (sb.Length < tokens * 4)
        {
            sb.Append(seed).Append(" lists homes near the park. ");
        }

        return sb.ToString(0, tokens * 4);
    }

    public static JsonObject Block(string text, JsonObject? marker = null)
    {
        var block = new JsonObject { ["type"] = "text", ["text"] = text };
        if (marker is not null)
        {
            block["cache_control"] = marker.DeepClone();
        }

        return block;
    }

    public static JsonObject Message(string role, params JsonObject[] blocks) =>
        new() { ["role"] = role, ["content"] = new JsonArray([.. blocks]) };

    public static JsonObject Body(JsonArray messages, JsonArray? system = null, JsonArray? tools = null, string model = "claude-sonnet-4-5")
    {
        var body = new JsonObject { ["model"] = model, ["max_tokens"] = 256 };
        if (tools is not null)
        {
            body["tools"] = tools;
        }

        if (system is not null)
        {
            body["system"] = system;
        }

        body["messages"] = messages;
        return body;
    }

    public static JsonObject Tool(string name, JsonObject? marker = null)
    {
        var tool = new JsonObject
        {
            ["name"] = name,
            ["description"] = Text(300, name),
            ["input_schema"] = new JsonObject { ["type"] = "object" },
        };
        if (marker is not null)
        {
            tool["cache_control"] = marker.DeepClone();
        }

        return tool;
    }

    /// <summary>Posts the body; returns the status and the response JSON.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Json)> SendAsync(
        FakeAnthropicUpstream fake, JsonObject body, string apiKey = "sk-ant-test", bool bearer = false)
    {
        using var http = Wire.Client(fake);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body.ToJsonString())),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("anthropic-version", "2023-06-01");
        if (bearer)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }
        else
        {
            request.Headers.Add("x-api-key", apiKey);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        if (body["stream"]?.GetValue<bool>() == true && response.IsSuccessStatusCode)
        {
            // The message as in message_start: its usage is what a streaming client sees first.
            var start = Wire.Events(text).First(e => e.Name == "message_start").Data;
            return (response.StatusCode, JsonDocument.Parse(start).RootElement.GetProperty("message").Clone());
        }

        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>(input, 5m writes, 1h writes, reads) from a message's usage.</summary>
    public static (int Input, int Write5m, int Write1h, int Read) Usage(JsonElement message)
    {
        var usage = message.GetProperty("usage");
        var creation = usage.GetProperty("cache_creation");
        int write5m = creation.GetProperty("ephemeral_5m_input_tokens").GetInt32();
        int write1h = creation.GetProperty("ephemeral_1h_input_tokens").GetInt32();
        Assert.Equal(write5m + write1h, usage.GetProperty("cache_creation_input_tokens").GetInt32());
        return (usage.GetProperty("input_tokens").GetInt32(), write5m, write1h, usage.GetProperty("cache_read_input_tokens").GetInt32());
    }

    /// <summary>Prompt tokens of a body by the fake's estimate (markers left out).</summary>
    public static int Total(JsonObject body) => PromptTokens.ForRequest(Encoding.UTF8.GetBytes(body.ToJsonString()));

    /// <summary>Tokens of a prefix made of these blocks (unmarked), as written in a body.</summary>
    public static int Tokens(params JsonNode[] blocks) => PromptTokens.FromBytes(blocks.Sum(b => (long)Encoding.UTF8.GetByteCount(b.ToJsonString())));

    public static string ErrorMessage(JsonElement json) => json.GetProperty("error").GetProperty("message").GetString()!;
}
