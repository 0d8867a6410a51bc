using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ClaudeCache.Proxy.Tests.Infrastructure;

/// <summary>Request builders shared by the proxy tests.</summary>
public static class Requests
{
    public static string Body(string userText, bool stream = false, string model = "claude-sonnet-4-5", int maxTokens = 1024, string? system = null)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = maxTokens,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = userText }),
        };
        if (system is not null)
        {
            body["system"] = system;
        }

        if (stream)
        {
            body["stream"] = true;
        }

        return body.ToJsonString();
    }

    public static HttpRequestMessage Post(string body, string path = "v1/messages", params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    public static async Task<(HttpResponseMessage Response, byte[] Body)> SendAsync(HttpClient client, string body, params (string Name, string Value)[] headers)
    {
        using var request = Post(body, "v1/messages", headers);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        return (response, await response.Content.ReadAsByteArrayAsync());
    }

    public static string Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(",", contentValues) : "";
}
