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

    public static byte[] Write(JsonElement root, BreakpointPlan plan, BreakpointOptions options, int sizeHint)
    {
        var buffer = new ArrayBufferWriter<byte>(sizeHint + 128);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals("tools") && plan.Tool >= 0)
                {
                    writer.WritePropertyName(property.Name);
                    WriteArray(writer, property.Value, plan.Tool, options);
                }
                else if (property.NameEquals("system") && plan.System >= 0)
                {
                    writer.WritePropertyName(property.Name);
                    WriteBlocks(writer, property.Value, options);
                }
                else if (property.NameEquals("messages") && (plan.LastUserTurn >= 0 || plan.LookbackUserTurn >= 0))
                {
                    writer.WritePropertyName(property.Name);
                    WriteMessages(writer, property.Value, plan, options);
                }
                else
                {
                    Copy(writer, property);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteMessages(Utf8JsonWriter writer, JsonElement messages, BreakpointPlan plan, BreakpointOptions options)
    {
        writer.WriteStartArray();
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (!plan.MarksMessage(index++))
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
                    WriteBlocks(writer, property.Value, options);
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

    // A block array with the breakpoint on its last block, or a string as one text block carrying it.
    private static void WriteBlocks(Utf8JsonWriter writer, JsonElement blocks, BreakpointOptions options)
    {
        if (blocks.ValueKind == JsonValueKind.String)
        {
            writer.WriteStartArray();
            writer.WriteStartObject();
            writer.WriteString("type"u8, "text"u8);
            writer.WritePropertyName("text"u8);
            Copy(writer, blocks);
            WriteCacheControl(writer, options);
            writer.WriteEndObject();
            writer.WriteEndArray();
            return;
        }

        WriteArray(writer, blocks, blocks.GetArrayLength() - 1, options);
    }

    private static void WriteArray(Utf8JsonWriter writer, JsonElement array, int marked, BreakpointOptions options)
    {
        writer.WriteStartArray();
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (index++ != marked)
            {
                Copy(writer, item);
                continue;
            }

            writer.WriteStartObject();
            foreach (var property in item.EnumerateObject())
            {
                Copy(writer, property);
            }

            WriteCacheControl(writer, options);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteCacheControl(Utf8JsonWriter writer, BreakpointOptions options)
    {
        writer.WritePropertyName("cache_control"u8);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "ephemeral"u8);
        if (options.OneHourTtl)
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
