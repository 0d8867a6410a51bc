using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ClaudeCache.Anthropic;

/// <summary>
/// Turns a stored Message into the event stream the API would have sent for it (docs/anthropic-wire.md §5), so a streaming
/// client can be served from an entry that was stored from a non-streaming call. Accumulating the result gives
/// back the same Message.
/// </summary>
public static class StreamSynthesizer
{
    /// <summary>Characters per <c>text_delta</c>/<c>thinking_delta</c>/<c>input_json_delta</c>.</summary>
    public const int ChunkLength = 64;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Builds <c>event: NAME\ndata: JSON\n\n</c> events with compact JSON from a Message JSON.</summary>
    /// <exception cref="ArgumentException">The JSON is not an object.</exception>
    /// <exception cref="JsonException">The bytes are not JSON.</exception>
    public static byte[] Synthesize(ReadOnlySpan<byte> messageJson)
    {
        var reader = new Utf8JsonReader(messageJson);
        JsonElement message = JsonElement.ParseValue(ref reader);
        if (message.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("A Message must be a JSON object.", nameof(messageJson));
        }

        var buffer = new ArrayBufferWriter<byte>(messageJson.Length * 2 + 512);
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);

        // Step 1: message_start, the Message without content or stop fields, and only a token of output usage.
        Begin(buffer, writer, SseEventNames.MessageStart);
        writer.WritePropertyName("message"u8);
        WriteStartMessage(writer, message);
        End(buffer, writer);

        // Step 2: each block, empty at start, filled by deltas.
        if (message.TryGetProperty("content"u8, out JsonElement content) && content.ValueKind == JsonValueKind.Array)
        {
            int index = 0;
            foreach (JsonElement block in content.EnumerateArray())
            {
                WriteBlock(buffer, writer, block, index++);
            }
        }

        // Step 3: stop fields and the full usage, then the end.
        Begin(buffer, writer, SseEventNames.MessageDelta);
        writer.WriteStartObject("delta"u8);
        WriteOrNull(writer, message, "stop_reason"u8);
        WriteOrNull(writer, message, "stop_sequence"u8);
        writer.WriteEndObject();
        if (message.TryGetProperty("usage"u8, out JsonElement usage))
        {
            writer.WritePropertyName("usage"u8);
            usage.WriteTo(writer);
        }

        End(buffer, writer);
        Begin(buffer, writer, SseEventNames.MessageStop);
        End(buffer, writer);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteStartMessage(Utf8JsonWriter writer, JsonElement message)
    {
        writer.WriteStartObject();
        foreach (JsonProperty property in message.EnumerateObject())
        {
            if (property.NameEquals("content"u8))
            {
                writer.WriteStartArray("content"u8);
                writer.WriteEndArray();
            }
            else if (property.NameEquals("stop_reason"u8) || property.NameEquals("stop_sequence"u8))
            {
                writer.WriteNull(property.Name);
            }
            else if (property.NameEquals("usage"u8) && property.Value.ValueKind == JsonValueKind.Object)
            {
                writer.WriteStartObject("usage"u8);
                foreach (JsonProperty field in property.Value.EnumerateObject())
                {
                    // Input and cache usage are final at the start; output is not known yet, as on the wire.
                    if (field.NameEquals("output_tokens"u8) && field.Value.TryGetInt64(out long output))
                    {
                        writer.WriteNumber("output_tokens"u8, Math.Min(output, 1));
                    }
                    else
                    {
                        field.WriteTo(writer);
                    }
                }

                writer.WriteEndObject();
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteBlock(ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer, JsonElement block, int index)
    {
        string? type = block.ValueKind == JsonValueKind.Object
            && block.TryGetProperty("type"u8, out JsonElement typeElement)
            && typeElement.ValueKind == JsonValueKind.String ? typeElement.GetString() : null;

        // Only these kinds stream deltas; the rest (redacted_thinking, server tool blocks, ...) arrive complete.
        bool streamed = type is "text" or "thinking" or "tool_use";

        Begin(buffer, writer, SseEventNames.ContentBlockStart);
        writer.WriteNumber("index"u8, index);
        writer.WritePropertyName("content_block"u8);
        if (streamed)
        {
            WriteEmptyBlock(writer, block);
        }
        else
        {
            block.WriteTo(writer);
        }

        End(buffer, writer);

        switch (type)
        {
            case "text":
                WriteStringDeltas(buffer, writer, index, block, "text"u8, "text_delta"u8, "text"u8);
                if (block.TryGetProperty("citations"u8, out JsonElement citations) && citations.ValueKind == JsonValueKind.Array)
                {
                    foreach (JsonElement citation in citations.EnumerateArray())
                    {
                        BeginDelta(buffer, writer, index, "citations_delta"u8);
                        writer.WritePropertyName("citation"u8);
                        citation.WriteTo(writer);
                        EndDelta(buffer, writer);
                    }
                }

                break;
            case "thinking":
                WriteStringDeltas(buffer, writer, index, block, "thinking"u8, "thinking_delta"u8, "thinking"u8);
                if (block.TryGetProperty("signature"u8, out JsonElement signature)
                    && signature.ValueKind == JsonValueKind.String
                    && signature.GetString() is { Length: > 0 } signatureText)
                {
                    BeginDelta(buffer, writer, index, "signature_delta"u8);
                    writer.WriteString("signature"u8, signatureText);
                    EndDelta(buffer, writer);
                }

                break;
            case "tool_use":
                WriteInputDeltas(buffer, writer, index, block);
                break;
            default:
                break;
        }

        Begin(buffer, writer, SseEventNames.ContentBlockStop);
        writer.WriteNumber("index"u8, index);
        End(buffer, writer);
    }

    // The block as content_block_start shows it: same keys, streamed values emptied.
    private static void WriteEmptyBlock(Utf8JsonWriter writer, JsonElement block)
    {
        writer.WriteStartObject();
        foreach (JsonProperty property in block.EnumerateObject())
        {
            if (property.NameEquals("text"u8) || property.NameEquals("thinking"u8) || property.NameEquals("signature"u8))
            {
                writer.WriteString(property.Name, "");
            }
            else if (property.NameEquals("input"u8))
            {
                writer.WriteStartObject("input"u8);
                writer.WriteEndObject();
            }
            else if (property.NameEquals("citations"u8) && property.Value.ValueKind == JsonValueKind.Array)
            {
                writer.WriteStartArray("citations"u8);
                writer.WriteEndArray();
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteStringDeltas(
        ArrayBufferWriter<byte> buffer,
        Utf8JsonWriter writer,
        int index,
        JsonElement block,
        ReadOnlySpan<byte> blockKey,
        ReadOnlySpan<byte> deltaType,
        ReadOnlySpan<byte> deltaKey)
    {
        if (block.TryGetProperty(blockKey, out JsonElement value) && value.ValueKind == JsonValueKind.String)
        {
            WriteChunks(buffer, writer, index, value.GetString()!, deltaType, deltaKey);
        }
    }

    private static void WriteInputDeltas(ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer, int index, JsonElement block)
    {
        // The API's first input_json_delta is usually empty; the SDKs parse the concatenation at block stop.
        BeginDelta(buffer, writer, index, "input_json_delta"u8);
        writer.WriteString("partial_json"u8, "");
        EndDelta(buffer, writer);

        if (!block.TryGetProperty("input"u8, out JsonElement input)
            || (input.ValueKind == JsonValueKind.Object && !input.EnumerateObject().Any()))
        {
            return;
        }

        var json = new ArrayBufferWriter<byte>(256);
        using (var inputWriter = new Utf8JsonWriter(json, WriterOptions))
        {
            input.WriteTo(inputWriter);
        }

        WriteChunks(buffer, writer, index, Encoding.UTF8.GetString(json.WrittenSpan), "input_json_delta"u8, "partial_json"u8);
    }

    private static void WriteChunks(
        ArrayBufferWriter<byte> buffer,
        Utf8JsonWriter writer,
        int index,
        string text,
        ReadOnlySpan<byte> deltaType,
        ReadOnlySpan<byte> deltaKey)
    {
        int position = 0;
        while (position < text.Length)
        {
            int length = Math.Min(ChunkLength, text.Length - position);

            // Never split a surrogate pair: each delta must be valid text on its own.
            if (length < text.Length - position && char.IsHighSurrogate(text[position + length - 1]))
            {
                length++;
            }

            BeginDelta(buffer, writer, index, deltaType);
            writer.WriteString(deltaKey, text.AsSpan(position, length));
            EndDelta(buffer, writer);
            position += length;
        }
    }

    private static void WriteOrNull(Utf8JsonWriter writer, JsonElement message, ReadOnlySpan<byte> key)
    {
        if (message.TryGetProperty(key, out JsonElement value))
        {
            writer.WritePropertyName(key);
            value.WriteTo(writer);
        }
        else
        {
            writer.WriteNull(key);
        }
    }

    private static void BeginDelta(ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer, int index, ReadOnlySpan<byte> deltaType)
    {
        Begin(buffer, writer, SseEventNames.ContentBlockDelta);
        writer.WriteNumber("index"u8, index);
        writer.WriteStartObject("delta"u8);
        writer.WriteString("type"u8, deltaType);
    }

    private static void EndDelta(ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        End(buffer, writer);
    }

    // Opens "event: NAME\ndata: {"type":"NAME"": the JSON's type always equals the event name.
    private static void Begin(ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer, string name)
    {
        buffer.Write("event: "u8);
        int length = Encoding.UTF8.GetBytes(name, buffer.GetSpan(name.Length));
        buffer.Advance(length);
        buffer.Write("\ndata: "u8);
        writer.Reset();
        writer.WriteStartObject();
        writer.WriteString("type"u8, name);
    }

    private static void End(ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.Flush();
        buffer.Write("\n\n"u8);
    }
}
