using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ClaudeCache.PromptCaching;

/// <summary>
/// Rewrites a request with the planned breakpoints and nothing else: properties keep their order and values, and a
/// string <c>system</c> or <c>content</c> becomes a one-block array only where a breakpoint goes.
/// </summary>
internal static class BreakpointWriter
{
    // Property names are re-encoded; with the relaxed encoder non-ASCII ones stay UTF-8 (the bytes go to an API,
    // never into HTML). Values are copied as their original bytes.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The request with the plan's breakpoints, in a new buffer (the writer's own: no second copy).</summary>
    public static ReadOnlyMemory<byte> Write(JsonElement root, BreakpointPlan plan, int sizeHint)
    {
        var buffer = new ArrayBufferWriter<byte>(sizeHint + 128);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            foreach (var property in root.EnumerateObject())
            {
                var section = property.NameEquals("tools") ? PromptSection.Tools
                    : property.NameEquals("system") ? PromptSection.System
                    : property.NameEquals("messages") ? PromptSection.Messages
                    : (PromptSection?)null;
                if (section is not { } marked || !plan.Touches(marked))
                {
                    Copy(writer, property);
                    continue;
                }

                writer.WritePropertyName(property.Name);
                if (marked == PromptSection.Messages)
                {
                    WriteMessages(writer, property.Value, plan);
                }
                else
                {
                    WriteBlocks(writer, property.Value, plan, marked, -1);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    private static void WriteMessages(Utf8JsonWriter writer, JsonElement messages, BreakpointPlan plan)
    {
        writer.WriteStartArray();
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var current = index++;
            if (!plan.Touches(PromptSection.Messages, current))
            {
                Copy(writer, message);
                continue;
            }

            writer.WriteStartObject();
            foreach (var property in message.EnumerateObject())
            {
                if (property.NameEquals("content"))
                {
                    writer.WritePropertyName(property.Name);
                    WriteBlocks(writer, property.Value, plan, PromptSection.Messages, current);
                }
                else
                {
                    Copy(writer, property);
                }
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    // Tools, system blocks or one message's content, with the planned breakpoints; a string becomes one text block
    // carrying its breakpoint. Tools and system blocks are found by their index, message blocks by their block index.
    private static void WriteBlocks(Utf8JsonWriter writer, JsonElement blocks, BreakpointPlan plan, PromptSection section, int message)
    {
        if (blocks.ValueKind == JsonValueKind.String)
        {
            var mark = section == PromptSection.Messages ? plan.Find(section, message, -1) : plan.Find(section, 0, -1);
            writer.WriteStartArray();
            writer.WriteStartObject();
            writer.WriteString("type"u8, "text"u8);
            writer.WritePropertyName("text"u8);
            Copy(writer, blocks);
            if (mark is { } m)
            {
                WriteCacheControl(writer, m.OneHour);
            }

            writer.WriteEndObject();
            writer.WriteEndArray();
            return;
        }

        writer.WriteStartArray();
        var index = 0;
        foreach (var item in blocks.EnumerateArray())
        {
            var current = index++;
            var mark = section == PromptSection.Messages ? plan.Find(section, message, current) : plan.Find(section, current, -1);
            if (mark is not { } m)
            {
                Copy(writer, item);
                continue;
            }

            writer.WriteStartObject();
            foreach (var property in item.EnumerateObject())
            {
                Copy(writer, property);
            }

            WriteCacheControl(writer, m.OneHour);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteCacheControl(Utf8JsonWriter writer, bool oneHour)
    {
        writer.WritePropertyName("cache_control"u8);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "ephemeral"u8);
        if (oneHour)
        {
            writer.WriteString("ttl"u8, "1h"u8);
        }

        writer.WriteEndObject();
    }

    // The original bytes of an untouched value: no re-escaping, no reformatting of numbers. They came from a
    // document that parsed, so they need no validation.
    private static void Copy(Utf8JsonWriter writer, JsonElement value) =>
        writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);

    private static void Copy(Utf8JsonWriter writer, JsonProperty property)
    {
        writer.WritePropertyName(property.Name);
        Copy(writer, property.Value);
    }
}
