using System.Text;
using System.Text.Json;

namespace ClaudeCache.Testing;

/// <summary>One request as the fake upstream received it.</summary>
/// <param name="Method">HTTP method, e.g. <c>POST</c>.</param>
/// <param name="Path">Path, e.g. <c>/v1/messages</c>.</param>
/// <param name="QueryString">Query including the leading <c>?</c>, or empty.</param>
/// <param name="Headers">Headers, case-insensitive; repeated headers joined with <c>", "</c>.</param>
/// <param name="Body">The raw body bytes.</param>
public sealed record ReceivedRequest(
    string Method,
    string Path,
    string QueryString,
    IReadOnlyDictionary<string, string> Headers,
    byte[] Body)
{
    /// <summary>The body decoded as UTF-8.</summary>
    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>Whether the body asks for SSE (<c>"stream": true</c>).</summary>
    public bool IsStreaming
    {
        get
        {
            if (Body.Length == 0)
            {
                return false;
            }

            try
            {
                using var doc = JsonDocument.Parse(Body);
                return doc.RootElement.ValueKind == JsonValueKind.Object
                    && doc.RootElement.TryGetProperty("stream", out var stream)
                    && stream.ValueKind == JsonValueKind.True;
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }

    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
