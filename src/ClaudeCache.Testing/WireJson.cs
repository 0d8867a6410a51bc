using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ClaudeCache.Testing;

/// <summary>
/// Writes every JSON body the fake sends with <see cref="Utf8JsonWriter"/>, so key order is exactly the real API's
/// (docs/anthropic-wire.md §4–6). No reflection serialisation anywhere.
/// </summary>
internal static class WireJson
{
    // The API writes non-ASCII text as raw UTF-8 and does not HTML-escape '<', '>', '&' or '\''.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The non-streaming Message.</summary>
    public static byte[] Message(FakeReply reply) => Write(w => WriteMessage(w, reply, streamingStart: false));

    /// <summary>The Message as in <c>message_start</c>: empty content, null stop fields, small output_tokens.</summary>
    public static void WriteMessage(Utf8JsonWriter w, FakeReply reply, bool streamingStart)
    {
        w.WriteStartObject();
        w.WriteString("model", reply.Model);
        w.WriteString("id", reply.MessageId);
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteStartArray("content");
        if (!streamingStart)
        {
            foreach (var block in reply.Content)
            {
                WriteBlock(w, block, empty: false);
            }
        }

        w.WriteEndArray();
        if (streamingStart)
        {
            w.WriteNull("stop_reason");
            w.WriteNull("stop_sequence");
        }
        else
        {
            w.WriteString("stop_reason", reply.StopReason);
            WriteNullableString(w, "stop_sequence", reply.StopSequence);
        }

        w.WritePropertyName("usage");
        WriteUsage(w, reply.Usage, streamingStart ? Math.Min(1, reply.Usage.OutputTokens) : reply.Usage.OutputTokens);
        w.WriteEndObject();
    }

    public static void WriteUsage(Utf8JsonWriter w, FakeUsage usage, int outputTokens)
    {
        w.WriteStartObject();
        w.WriteNumber("input_tokens", usage.InputTokens);
        w.WriteNumber("cache_creation_input_tokens", usage.CacheCreationInputTokens);
        w.WriteNumber("cache_read_input_tokens", usage.CacheRead);
        w.WriteStartObject("cache_creation");
        w.WriteNumber("ephemeral_5m_input_tokens", usage.CacheCreation5m);
        w.WriteNumber("ephemeral_1h_input_tokens", usage.CacheCreation1h);
        w.WriteEndObject();
        w.WriteNumber("output_tokens", outputTokens);
        w.WriteString("service_tier", usage.ServiceTier);
        w.WriteString("inference_geo", usage.InferenceGeo);
        w.WriteEndObject();
    }

    /// <summary>A content block: complete, or empty as in <c>content_block_start</c>.</summary>
    public static void WriteBlock(Utf8JsonWriter w, FakeBlock block, bool empty)
    {
        w.WriteStartObject();
        switch (block.Kind)
        {
            case FakeBlockKind.Text:
                w.WriteString("type", "text");
                w.WriteString("text", empty ? string.Empty : block.TextValue);
                break;
            case FakeBlockKind.ToolUse:
                w.WriteString("type", "tool_use");
                w.WriteString("id", block.Id);
                w.WriteString("name", block.Name);
                w.WritePropertyName("input");
                if (empty)
                {
                    w.WriteStartObject();
                    w.WriteEndObject();
                }
                else
                {
                    using var input = JsonDocument.Parse(block.InputJson!);
                    input.RootElement.WriteTo(w);
                }

                break;
            case FakeBlockKind.Thinking:
                w.WriteString("type", "thinking");
                w.WriteString("thinking", empty ? string.Empty : block.ThinkingValue);
                w.WriteString("signature", empty ? string.Empty : block.Signature);
                break;
            case FakeBlockKind.RedactedThinking:
                // Arrives complete in its content_block_start, with no deltas.
                w.WriteString("type", "redacted_thinking");
                w.WriteString("data", block.Data);
                break;
            default:
                throw new InvalidOperationException($"Unknown block kind {block.Kind}.");
        }

        w.WriteEndObject();
    }

    /// <summary>The error envelope of docs/anthropic-wire.md §6.</summary>
    public static byte[] Error(string type, string message, string requestId) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("type", "error");
        w.WriteStartObject("error");
        w.WriteString("type", type);
        w.WriteString("message", message);
        w.WriteEndObject();
        w.WriteString("request_id", requestId);
        w.WriteEndObject();
    });

    /// <summary>The data of a mid-stream <c>event: error</c> (note <c>details</c> first).</summary>
    public static byte[] StreamError(string requestId) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("type", "error");
        w.WriteStartObject("error");
        w.WriteNull("details");
        w.WriteString("type", "overloaded_error");
        w.WriteString("message", "Overloaded");
        w.WriteEndObject();
        w.WriteString("request_id", requestId);
        w.WriteEndObject();
    });

    public static byte[] CountTokens(int inputTokens) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("input_tokens", inputTokens);
        w.WriteEndObject();
    });

    public static byte[] Model(int index) => Write(w => WriteModel(w, index));

    /// <summary>One page of the model list; <paramref name="count"/> models from <paramref name="start"/>.</summary>
    public static byte[] ModelPage(int start, int count) => Write(w =>
    {
        var models = ModelCatalog.Models;
        w.WriteStartObject();
        w.WriteStartArray("data");
        for (int i = start; i < start + count; i++)
        {
            WriteModel(w, i);
        }

        w.WriteEndArray();
        w.WriteBoolean("has_more", start + count < models.Count);
        WriteNullableString(w, "first_id", count > 0 ? models[start].Id : null);
        WriteNullableString(w, "last_id", count > 0 ? models[start + count - 1].Id : null);
        w.WriteEndObject();
    });

    private static void WriteModel(Utf8JsonWriter w, int index)
    {
        var m = ModelCatalog.Models[index];
        w.WriteStartObject();
        w.WriteString("type", "model");
        w.WriteString("id", m.Id);
        w.WriteString("display_name", m.DisplayName);
        w.WriteString("created_at", m.CreatedAt);
        w.WriteEndObject();
    }

    private static void WriteNullableString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
