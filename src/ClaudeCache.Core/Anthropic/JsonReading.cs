using System.Text.Json;

namespace ClaudeCache.Anthropic;

/// <summary>Forward-only reading helpers shared by the hot-path readers: no document is built.</summary>
internal static class JsonReading
{
    /// <summary>Reads the first token and throws unless it opens an object.</summary>
    public static void ExpectStartObject(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Expected a JSON object.");
        }
    }

    /// <summary>
    /// Leaves the reader on the value of a top-level property, skipping the others without parsing them;
    /// false when the top level is not an object or lacks the property.
    /// </summary>
    public static bool MoveToTopLevelProperty(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool match = reader.ValueTextEquals(name);
            reader.Read();
            if (match)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }
}
