using System.Net.Http.Headers;
using System.Text;

namespace ClaudeCache.Testing.Tests;

/// <summary>Raw HTTP helpers: requests with the headers an SDK sends, and an SSE splitter that keeps bytes.</summary>
internal static class Wire
{
    public static HttpClient Client(FakeAnthropicUpstream fake) => new() { BaseAddress = fake.BaseAddress };

    public static HttpRequestMessage Post(string path, byte[] body, bool version = true, bool auth = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        AddHeaders(request, version, auth);
        return request;
    }

    public static HttpRequestMessage Get(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        AddHeaders(request, version: true, auth: true);
        return request;
    }

    public static byte[] Body(string userText, bool stream = false, string model = "claude-sonnet-4-5") =>
        RealEstateWorkload.MessagesRequestBody(model, userText, stream);

    /// <summary>Splits an SSE body into (event name, raw data line) pairs; asserts the framing is exact.</summary>
    public static List<(string Name, string Data)> Events(string sse)
    {
        var result = new List<(string, string)>();
        foreach (string frame in sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string[] lines = frame.Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            result.Add((lines[0]["event: ".Length..], lines[1]["data: ".Length..]));
        }

        return result;
    }

    public static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private static void AddHeaders(HttpRequestMessage request, bool version, bool auth)
    {
        if (version)
        {
            request.Headers.Add("anthropic-version", "2023-06-01");
        }

        if (auth)
        {
            request.Headers.Add("x-api-key", "sk-ant-test");
        }
    }
}
