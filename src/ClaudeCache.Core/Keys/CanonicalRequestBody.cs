using System.Collections.Frozen;
using System.Text.Json;

namespace ClaudeCache.Keys;

/// <summary>
/// The Messages API specifics of the canonical body (docs/anthropic-wire.md §3): which top-level fields stay out of the key,
/// where <c>cache_control</c> is dropped, and which shorthands are expanded. Everything else, including fields
/// this code has never heard of, is written in full: an unknown field may change the answer.
/// </summary>
internal static class CanonicalRequestBody
{
    // Usage, latency, metadata and encoding only: none of them changes what the model answers.
    private static readonly FrozenSet<string> s_excludedTopLevel = FrozenSet.Create(
        StringComparer.Ordinal,
        "stream", "metadata", "cache_control", "service_tier", "inference_geo", "speed", "diagnostics");

    public static void Write(Utf8JsonWriter writer, JsonElement body)
    {
        // Checked once over the whole body, so everything below may use the unchecked writer. Validation rejects
        // such a body first; a caller that skipped it gets a key of the body as sent rather than an exception.
        if (CanonicalJson.TryWriteAsItCame(writer, body))
        {
            return;
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            // Not a Messages request body (validation happens earlier); key it as it is.
            CanonicalJson.WriteWellFormed(writer, body);
            return;
        }

        var members = CanonicalJson.RentSortedMembers(body, out var count);
        try
        {
            writer.WriteStartObject();
            foreach (var member in members.AsSpan(0, count))
            {
                WriteTopLevelMember(writer, member);
            }

            writer.WriteEndObject();
        }
        finally
        {
            CanonicalJson.ReturnMembers(members, count);
        }
    }

    private static void WriteTopLevelMember(Utf8JsonWriter writer, CanonicalJson.Member member)
    {
        if (s_excludedTopLevel.Contains(member.Name))
        {
            return;
        }

        switch (member.Name)
        {
            case "temperature" when CanonicalJson.NumberEquals(member.Value, 1m):
                // The API's default: an explicit 1 (or 1.0) asks for exactly what an absent one does.
                return;
            case "system":
                writer.WritePropertyName(member.Name);
                WriteContent(writer, member.Value);
                return;
            case "messages" when member.Value.ValueKind == JsonValueKind.Array:
                writer.WritePropertyName(member.Name);
                writer.WriteStartArray();
                foreach (var message in member.Value.EnumerateArray())
                {
                    WriteMessage(writer, message);
                }

                writer.WriteEndArray();
                return;
            case "tools" when member.Value.ValueKind == JsonValueKind.Array:
                writer.WritePropertyName(member.Name);
                WriteBlocks(writer, member.Value);
                return;
            default:
                writer.WritePropertyName(member.Name);
                CanonicalJson.WriteWellFormed(writer, member.Value);
                return;
        }
    }

    private static void WriteMessage(Utf8JsonWriter writer, JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            CanonicalJson.WriteWellFormed(writer, message);
            return;
        }

        var members = CanonicalJson.RentSortedMembers(message, out var count);
        try
        {
            writer.WriteStartObject();
            foreach (var member in members.AsSpan(0, count))
            {
                writer.WritePropertyName(member.Name);
                if (member.Name == "content")
                {
                    WriteContent(writer, member.Value);
                }
                else
                {
                    CanonicalJson.WriteWellFormed(writer, member.Value);
                }
            }

            writer.WriteEndObject();
        }
        finally
        {
            CanonicalJson.ReturnMembers(members, count);
        }
    }

    /// <summary>Message content or system: a string is shorthand for one text block.</summary>
    private static void WriteContent(Utf8JsonWriter writer, JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                // Members in sorted order, exactly as the block form {"type":"text","text":…} canonicalises.
                writer.WriteStartArray();
                writer.WriteStartObject();
                writer.WritePropertyName("text");
                CanonicalJson.WriteString(writer, content);
                writer.WriteString("type", "text");
                writer.WriteEndObject();
                writer.WriteEndArray();
                break;
            case JsonValueKind.Array:
                WriteBlocks(writer, content);
                break;
            default:
                CanonicalJson.WriteWellFormed(writer, content);
                break;
        }
    }

    private static void WriteBlocks(Utf8JsonWriter writer, JsonElement blocks)
    {
        writer.WriteStartArray();
        foreach (var block in blocks.EnumerateArray())
        {
            WriteBlock(writer, block);
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// A content block or tool definition: <c>cache_control</c> on it only changes usage, so it is dropped.
    /// Only on the block itself and on the blocks in its <c>content</c> list (tool_result, search_result):
    /// a tool's input schema or input may well have a property called cache_control that does matter.
    /// </summary>
    private static void WriteBlock(Utf8JsonWriter writer, JsonElement block)
    {
        if (block.ValueKind != JsonValueKind.Object)
        {
            CanonicalJson.WriteWellFormed(writer, block);
            return;
        }

        var members = CanonicalJson.RentSortedMembers(block, out var count);
        try
        {
            writer.WriteStartObject();
            foreach (var member in members.AsSpan(0, count))
            {
                if (member.Name == "cache_control")
                {
                    continue;
                }

                writer.WritePropertyName(member.Name);
                if (member.Name == "content" && member.Value.ValueKind == JsonValueKind.Array)
                {
                    WriteBlocks(writer, member.Value);
                }
                else
                {
                    CanonicalJson.WriteWellFormed(writer, member.Value);
                }
            }

            writer.WriteEndObject();
        }
        finally
        {
            CanonicalJson.ReturnMembers(members, count);
        }
    }
}
