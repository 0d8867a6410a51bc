using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ClaudeCache.Anthropic;

/// <summary>
/// Folds a Messages stream into the Message it stands for, exactly as the official SDKs do (docs/anthropic-wire.md §5), and
/// tells whether the stream is a complete success worth storing.
/// </summary>
/// <remarks>
/// Feed events in order with <see cref="Accept(in SseEvent)"/>. Malformed events never throw: they set
/// <see cref="SawInvalidEvent"/>, which keeps the stream out of the cache.
/// </remarks>
public sealed class StreamAccumulator
{
    // The API's key order since 2025; other keys follow in their message_start order.
    private static readonly string[] OrderedKeys =
        ["model", "id", "type", "role", "content", "stop_reason", "stop_sequence", "usage"];

    // Anthropic sends raw UTF-8, not \uXXXX escapes; the output is a JSON body, never embedded in HTML.
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly List<AccumulatedBlock> _blocks = [];
    private readonly List<KeyValuePair<string, JsonElement>> _messageOverrides = [];
    private readonly List<KeyValuePair<string, JsonElement>> _usageOverrides = [];
    private JsonElement? _message;

    /// <summary>True once <c>message_stop</c> arrived.</summary>
    public bool SawMessageStop { get; private set; }

    /// <summary>True once an <c>error</c> event arrived (the upstream failed mid-stream).</summary>
    public bool SawError { get; private set; }

    /// <summary>True when an event could not be understood (bad JSON, a block index out of order).</summary>
    public bool SawInvalidEvent { get; private set; }

    /// <summary>The stop reason from the last <c>message_delta</c>, or null.</summary>
    public string? StopReason { get; private set; }

    /// <summary>The resolved model id from <c>message_start</c>, or null.</summary>
    public string? Model { get; private set; }

    /// <summary>The only kind of stream worth storing: it started, reached <c>message_stop</c>, and nothing failed.</summary>
    public bool IsCompleteSuccess => SawMessageStop && !SawError && !SawInvalidEvent && _message is not null;

    /// <summary>Applies one event. Unknown event names are skipped, as the SDKs skip them.</summary>
    public void Accept(in SseEvent e)
    {
        try
        {
            switch (e.Name)
            {
                case SseEventNames.ContentBlockDelta:
                    OnDelta(e.Data.Span);
                    break;
                case SseEventNames.ContentBlockStart:
                    OnBlockStart(e.Data.Span);
                    break;
                case SseEventNames.ContentBlockStop:
                    OnBlockStop(e.Data.Span);
                    break;
                case SseEventNames.MessageStart:
                    OnMessageStart(e.Data.Span);
                    break;
                case SseEventNames.MessageDelta:
                    OnMessageDelta(e.Data.Span);
                    break;
                case SseEventNames.MessageStop:
                    SawMessageStop = true;
                    break;
                case SseEventNames.Error:
                    SawError = true;
                    break;
                default:
                    break; // ping and unknown events carry nothing for the Message
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            SawInvalidEvent = true;
        }
    }

    /// <summary>
    /// Writes the accumulated Message as compact JSON in the API's key order
    /// (<c>model, id, type, role, content, stop_reason, stop_sequence, usage</c>, then any other keys).
    /// </summary>
    /// <exception cref="InvalidOperationException">No <c>message_start</c> was accepted.</exception>
    public byte[] BuildMessageJson()
    {
        if (_message is not JsonElement message || message.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOperationException("The stream had no message_start event.");
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            foreach (string key in OrderedKeys)
            {
                WriteMessageKey(writer, message, key);
            }

            foreach (JsonProperty property in message.EnumerateObject())
            {
                if (Array.IndexOf(OrderedKeys, property.Name) < 0)
                {
                    WriteMessageKey(writer, message, property.Name);
                }
            }

            foreach (KeyValuePair<string, JsonElement> pair in _messageOverrides)
            {
                if (Array.IndexOf(OrderedKeys, pair.Key) < 0 && !message.TryGetProperty(pair.Key, out _))
                {
                    writer.WritePropertyName(pair.Key);
                    pair.Value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void WriteMessageKey(Utf8JsonWriter writer, JsonElement message, string key)
    {
        if (key == "content")
        {
            writer.WriteStartArray("content"u8);
            foreach (AccumulatedBlock block in _blocks)
            {
                block.WriteTo(writer);
            }

            writer.WriteEndArray();
            return;
        }

        bool present = message.TryGetProperty(key, out JsonElement value);
        if (key == "usage" && (present || _usageOverrides.Count > 0))
        {
            writer.WritePropertyName("usage"u8);
            WriteUsage(writer, present ? value : default);
            return;
        }

        if (TryFind(_messageOverrides, key, out JsonElement overridden))
        {
            writer.WritePropertyName(key);
            overridden.WriteTo(writer);
        }
        else if (present)
        {
            writer.WritePropertyName(key);
            value.WriteTo(writer);
        }
    }

    private void WriteUsage(Utf8JsonWriter writer, JsonElement usage)
    {
        writer.WriteStartObject();
        bool isObject = usage.ValueKind == JsonValueKind.Object;
        if (isObject)
        {
            foreach (JsonProperty property in usage.EnumerateObject())
            {
                writer.WritePropertyName(property.Name);
                (TryFind(_usageOverrides, property.Name, out JsonElement overridden) ? overridden : property.Value).WriteTo(writer);
            }
        }

        foreach (KeyValuePair<string, JsonElement> pair in _usageOverrides)
        {
            if (!isObject || !usage.TryGetProperty(pair.Key, out _))
            {
                writer.WritePropertyName(pair.Key);
                pair.Value.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    private void OnMessageStart(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        if (!JsonReading.MoveToTopLevelProperty(ref reader, "message"u8))
        {
            throw new JsonException("message_start has no message.");
        }

        JsonElement message = JsonElement.ParseValue(ref reader);
        _message = message;
        Model = message.ValueKind == JsonValueKind.Object
            && message.TryGetProperty("model"u8, out JsonElement model)
            && model.ValueKind == JsonValueKind.String ? model.GetString() : null;
        if (message.TryGetProperty("stop_reason"u8, out JsonElement stopReason) && stopReason.ValueKind == JsonValueKind.String)
        {
            StopReason = stopReason.GetString();
        }
    }

    private void OnBlockStart(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        int index = -1;
        JsonElement? block = null;
        JsonReading.ExpectStartObject(ref reader);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("index"u8))
            {
                reader.Read();
                index = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("content_block"u8))
            {
                reader.Read();
                block = JsonElement.ParseValue(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        // Blocks arrive in index order; anything else means the stream is not what we think it is.
        if (block is null || index != _blocks.Count)
        {
            throw new JsonException("content_block_start out of order or without a block.");
        }

        _blocks.Add(new AccumulatedBlock(block.Value));
    }

    private void OnDelta(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        int index = -1;
        int deltaStart = -1;
        JsonReading.ExpectStartObject(ref reader);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("index"u8))
            {
                reader.Read();
                index = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("delta"u8) && index >= 0)
            {
                reader.Read();
                ApplyDelta(ref reader, BlockAt(index));
            }
            else
            {
                bool isDelta = reader.ValueTextEquals("delta"u8);
                reader.Read();
                if (isDelta)
                {
                    deltaStart = (int)reader.TokenStartIndex; // "delta" came before "index": apply it afterwards
                }

                reader.Skip();
            }
        }

        if (deltaStart >= 0)
        {
            var deltaReader = new Utf8JsonReader(data[deltaStart..]);
            deltaReader.Read();
            ApplyDelta(ref deltaReader, BlockAt(index));
        }
    }

    private static void ApplyDelta(ref Utf8JsonReader reader, AccumulatedBlock block)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("delta is not an object.");
        }

        // Each delta kind has its own payload key, so the key alone says what to do whatever the order of "type".
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                block.AppendText(ref reader);
            }
            else if (reader.ValueTextEquals("partial_json"u8))
            {
                reader.Read();
                block.AppendPartialJson(ref reader);
            }
            else if (reader.ValueTextEquals("thinking"u8))
            {
                reader.Read();
                block.AppendThinking(ref reader);
            }
            else if (reader.ValueTextEquals("signature"u8))
            {
                reader.Read();
                block.SetSignature(ref reader);
            }
            else if (reader.ValueTextEquals("citation"u8))
            {
                reader.Read();
                block.AddCitation(JsonElement.ParseValue(ref reader));
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private void OnBlockStop(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        if (JsonReading.MoveToTopLevelProperty(ref reader, "index"u8) && !BlockAt(reader.GetInt32()).TryCompleteInput())
        {
            throw new JsonException("The tool input's partial JSON does not parse.");
        }
    }

    private void OnMessageDelta(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        JsonElement root = JsonElement.ParseValue(ref reader);
        if (root.TryGetProperty("delta"u8, out JsonElement delta) && delta.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in delta.EnumerateObject())
            {
                bool isStopField = property.NameEquals("stop_reason"u8) || property.NameEquals("stop_sequence"u8);

                // The SDKs always set the stop fields; other delta keys (container, ...) only when non-null.
                if (isStopField || property.Value.ValueKind != JsonValueKind.Null)
                {
                    Set(_messageOverrides, property.Name, property.Value);
                }

                if (property.NameEquals("stop_reason"u8))
                {
                    StopReason = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                }
            }
        }

        if (root.TryGetProperty("usage"u8, out JsonElement usage) && usage.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in usage.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.Null)
                {
                    Set(_usageOverrides, property.Name, property.Value);
                }
            }
        }
    }

    private AccumulatedBlock BlockAt(int index) =>
        (uint)index < (uint)_blocks.Count ? _blocks[index] : throw new JsonException("Delta for a block that never started.");

    private static bool TryFind(List<KeyValuePair<string, JsonElement>> pairs, string key, out JsonElement value)
    {
        foreach (KeyValuePair<string, JsonElement> pair in pairs)
        {
            if (pair.Key == key)
            {
                value = pair.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    private static void Set(List<KeyValuePair<string, JsonElement>> pairs, string key, JsonElement value)
    {
        for (int i = 0; i < pairs.Count; i++)
        {
            if (pairs[i].Key == key)
            {
                pairs[i] = new(key, value);
                return;
            }
        }

        pairs.Add(new(key, value));
    }
}
