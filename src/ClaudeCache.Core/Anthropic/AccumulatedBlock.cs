using System.Buffers;
using System.Text;
using System.Text.Json;

namespace ClaudeCache.Anthropic;

/// <summary>
/// One content block being accumulated from a stream: its start event's block plus what the deltas added.
/// Text, thinking and partial JSON are kept as unescaped UTF-8, so deltas cost no string allocations.
/// </summary>
internal sealed class AccumulatedBlock
{
    private ArrayBufferWriter<byte>? _text;
    private ArrayBufferWriter<byte>? _thinking;
    private ArrayBufferWriter<byte>? _partialJson;
    private byte[]? _signature;
    private List<JsonElement>? _citations;
    private JsonElement? _input;

    public AccumulatedBlock(JsonElement start) => Start = start;

    /// <summary>The block as <c>content_block_start</c> sent it.</summary>
    public JsonElement Start { get; }

    public void AppendText(ref Utf8JsonReader reader) => AppendString(ref reader, ref _text, "text"u8);

    public void AppendThinking(ref Utf8JsonReader reader) => AppendString(ref reader, ref _thinking, "thinking"u8);

    public void AppendPartialJson(ref Utf8JsonReader reader)
    {
        // partial_json concatenates from nothing: the SDKs ignore the start block's input once deltas arrive.
        _partialJson ??= new ArrayBufferWriter<byte>();
        CopyUnescaped(ref reader, _partialJson);
    }

    public void SetSignature(ref Utf8JsonReader reader)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(1, reader.ValueSpan.Length));
        CopyUnescaped(ref reader, buffer);
        _signature = buffer.WrittenSpan.ToArray();
    }

    public void AddCitation(JsonElement citation) => (_citations ??= []).Add(citation);

    /// <summary>Parses the concatenated partial JSON, as the SDKs do at block stop; false when it is not JSON.</summary>
    public bool TryCompleteInput()
    {
        if (_partialJson is null)
        {
            return true;
        }

        ReadOnlySpan<byte> json = _partialJson.WrittenSpan.Trim(" \t\r\n"u8);
        if (json.IsEmpty)
        {
            _input = null; // written as {} (the SDKs treat an empty buffer as an empty object)
            return true;
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            _input = JsonElement.ParseValue(ref reader);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Writes the block: the start block's keys in their order, with accumulated values substituted.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        if (_partialJson is not null && _input is null)
        {
            _ = TryCompleteInput(); // a stream cut before block stop: best effort
        }

        bool wroteText = false, wroteThinking = false, wroteSignature = false, wroteInput = false, wroteCitations = false;
        writer.WriteStartObject();
        if (Start.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in Start.EnumerateObject())
            {
                if (_text is not null && property.NameEquals("text"u8))
                {
                    WriteText(writer);
                    wroteText = true;
                }
                else if (_thinking is not null && property.NameEquals("thinking"u8))
                {
                    WriteThinking(writer);
                    wroteThinking = true;
                }
                else if (_signature is not null && property.NameEquals("signature"u8))
                {
                    writer.WriteString("signature"u8, _signature);
                    wroteSignature = true;
                }
                else if (_partialJson is not null && property.NameEquals("input"u8))
                {
                    WriteInput(writer);
                    wroteInput = true;
                }
                else if (_citations is not null && property.NameEquals("citations"u8))
                {
                    WriteCitations(writer, property.Value);
                    wroteCitations = true;
                }
                else
                {
                    property.WriteTo(writer);
                }
            }
        }

        // Deltas for keys the start block lacked still land in the Message, as the SDKs' "+=" would do.
        if (_text is not null && !wroteText)
        {
            WriteText(writer);
        }

        if (_thinking is not null && !wroteThinking)
        {
            WriteThinking(writer);
        }

        if (_signature is not null && !wroteSignature)
        {
            writer.WriteString("signature"u8, _signature);
        }

        if (_partialJson is not null && !wroteInput)
        {
            WriteInput(writer);
        }

        if (_citations is not null && !wroteCitations)
        {
            WriteCitations(writer, default);
        }

        writer.WriteEndObject();
    }

    private void WriteText(Utf8JsonWriter writer) => writer.WriteString("text"u8, _text!.WrittenSpan);

    private void WriteThinking(Utf8JsonWriter writer) => writer.WriteString("thinking"u8, _thinking!.WrittenSpan);

    private void WriteInput(Utf8JsonWriter writer)
    {
        writer.WritePropertyName("input"u8);
        if (_input is JsonElement input)
        {
            input.WriteTo(writer);
        }
        else
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
    }

    private void WriteCitations(Utf8JsonWriter writer, JsonElement existing)
    {
        writer.WriteStartArray("citations"u8);
        if (existing.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement citation in existing.EnumerateArray())
            {
                citation.WriteTo(writer);
            }
        }

        foreach (JsonElement citation in _citations!)
        {
            citation.WriteTo(writer);
        }

        writer.WriteEndArray();
    }

    private void AppendString(ref Utf8JsonReader reader, ref ArrayBufferWriter<byte>? buffer, ReadOnlySpan<byte> startKey)
    {
        if (buffer is null)
        {
            // The SDKs do block.text += delta: seed with whatever the start block carried (normally "").
            buffer = new ArrayBufferWriter<byte>(256);
            if (Start.ValueKind == JsonValueKind.Object
                && Start.TryGetProperty(startKey, out JsonElement seed)
                && seed.ValueKind == JsonValueKind.String)
            {
                string value = seed.GetString()!;
                if (value.Length > 0)
                {
                    buffer.Write(Encoding.UTF8.GetBytes(value));
                }
            }
        }

        CopyUnescaped(ref reader, buffer);
    }

    private static void CopyUnescaped(ref Utf8JsonReader reader, ArrayBufferWriter<byte> buffer)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("A delta value is not a string.");
        }

        // Unescaped UTF-8 is never longer than its escaped form.
        Span<byte> destination = buffer.GetSpan(Math.Max(1, reader.ValueSpan.Length));
        int written = reader.CopyString(destination);
        buffer.Advance(written);
    }
}
