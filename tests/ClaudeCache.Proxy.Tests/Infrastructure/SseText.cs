using System.Text.Json;

namespace ClaudeCache.Proxy.Tests.Infrastructure;

/// <summary>Reads text deltas out of an SSE body, the way an SDK would.</summary>
public static class SseText
{
    public static IEnumerable<string> TextDeltas(string sse)
    {
        foreach (var line in sse.Split('\n'))
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }

            using var json = JsonDocument.Parse(line["data: ".Length..]);
            var root = json.RootElement;
            if (root.GetProperty("type").GetString() == "content_block_delta"
                && root.GetProperty("delta").GetProperty("type").GetString() == "text_delta")
            {
                yield return root.GetProperty("delta").GetProperty("text").GetString()!;
            }
        }
    }
}
