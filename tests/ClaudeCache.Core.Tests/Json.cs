using System.Text.Json;

namespace ClaudeCache.Tests;

/// <summary>Parses test JSON into an element that outlives its document.</summary>
internal static class Json
{
    public static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
