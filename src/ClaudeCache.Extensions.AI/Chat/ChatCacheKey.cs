using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ClaudeCache.Keys;
using Microsoft.Extensions.AI;

namespace ClaudeCache.Extensions.AI.Chat;

/// <summary>
/// The key of a chat call: SHA-256 over a versioned canonical form of everything that can change the answer —
/// partition, namespace, the messages, <b>every</b> <see cref="ChatOptions"/> property (tools with their name,
/// description and JSON schema included, unlike Microsoft's <c>DistributedCachingChatClient</c>) and the additional
/// key values. Whether the caller streams is not part of it: one answer serves both forms, as one stored Message
/// serves JSON and streaming callers of the proxy, so a streamed and a non-streamed identical call share one call.
/// </summary>
/// <remarks>
/// JSON schemas and additional properties are written in the engine's canonical JSON (members sorted ordinally),
/// so the order a schema generator happened to use does not split the cache. A key too broad would serve one
/// answer to a different question, so whatever cannot be written faithfully makes the call uncacheable instead.
/// </remarks>
internal static class ChatCacheKey
{
    /// <summary>
    /// Bump when the canonical form changes: old entries then stop matching rather than collide. 2: the streaming flag
    /// left the key (version 1 kept streamed and non-streamed answers apart).
    /// </summary>
    public const int Version = 2;

    private static readonly string s_versionTag = "chat-v" + Version.ToString(CultureInfo.InvariantCulture);

    // A tool's canonical form, computed once per tool object. Functions are built once and reused for every
    // call, and their name, description and schemas are fixed at construction; canonicalising a schema is the
    // largest part of a key, so a hit does not pay for it again.
    private static readonly ConditionalWeakTable<AIFunctionDeclaration, byte[]> s_functions = new();

    [ThreadStatic]
    private static Scratch? t_scratch;

    /// <summary>Computes the key; false when some option cannot be part of a key (the call is then not cached).</summary>
    public static bool TryBuild(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        ClaudeCacheChatOptions settings,
        JsonSerializerOptions json,
        out CacheKey key)
    {
        // A factory delegate or a continuation token stands for state the key cannot see.
        if (options?.RawRepresentationFactory is not null || options?.ContinuationToken is not null)
        {
            key = default;
            return false;
        }

        var scratch = t_scratch ??= new Scratch();
        var writer = scratch.Begin();
        try
        {
            writer.WriteStartArray();
            writer.WriteStringValue(s_versionTag);
            writer.WriteStringValue(settings.Partition);
            writer.WriteStringValue(settings.Namespace);
            WriteMessages(writer, messages, json);
            WriteOptions(writer, options, json);
            writer.WriteStartArray();
            foreach (var value in settings.CacheKeyAdditionalValues ?? [])
            {
                WriteObject(writer, value, json);
            }

            writer.WriteEndArray();
            writer.WriteEndArray();
            writer.Flush();
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or JsonException or ArgumentException)
        {
            scratch.Release();
            key = default;
            return false;
        }

        Span<byte> digest = stackalloc byte[CacheKey.SizeInBytes];
        SHA256.HashData(scratch.Written, digest);
        scratch.Release();
        key = new CacheKey(digest);
        return true;
    }

    private static void WriteMessages(Utf8JsonWriter writer, IEnumerable<ChatMessage> messages, JsonSerializerOptions json)
    {
        writer.WriteStartArray();
        foreach (var message in messages)
        {
            writer.WriteStartArray();
            writer.WriteStringValue(message.Role.Value);
            WriteNullableString(writer, message.AuthorName);
            WriteNullableString(writer, message.MessageId);
            writer.WriteStartArray();
            foreach (var content in message.Contents)
            {
                if (content.GetType() == typeof(TextContent) && content.AdditionalProperties is null && content.Annotations is null)
                {
                    // The common case, written directly: a tag no serialised content can produce, then the text.
                    writer.WriteStartArray();
                    writer.WriteStringValue(((TextContent)content).Text);
                    writer.WriteEndArray();
                }
                else
                {
                    JsonSerializer.Serialize(writer, content, TypeInfo<AIContent>(json));
                }
            }

            writer.WriteEndArray();
            WriteProperties(writer, message.AdditionalProperties, json);
            writer.WriteEndArray();
        }

        writer.WriteEndArray();
    }

    private static void WriteOptions(Utf8JsonWriter writer, ChatOptions? options, JsonSerializerOptions json)
    {
        if (options is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartObject();
        WriteString(writer, "model", options.ModelId);
        WriteString(writer, "instructions", options.Instructions);
        WriteString(writer, "conversation", options.ConversationId);
        WriteNumber(writer, "temperature", options.Temperature);
        WriteNumber(writer, "top_p", options.TopP);
        WriteNumber(writer, "top_k", options.TopK);
        WriteNumber(writer, "max_output_tokens", options.MaxOutputTokens);
        WriteNumber(writer, "frequency_penalty", options.FrequencyPenalty);
        WriteNumber(writer, "presence_penalty", options.PresencePenalty);
        WriteNumber(writer, "seed", options.Seed);
        if (options.AllowMultipleToolCalls is { } multiple)
        {
            writer.WriteBoolean("allow_multiple_tool_calls", multiple);
        }

        if (options.AllowBackgroundResponses is { } background)
        {
            writer.WriteBoolean("allow_background_responses", background);
        }

        if (options.StopSequences is { Count: > 0 } stops)
        {
            writer.WriteStartArray("stop_sequences");
            foreach (var stop in stops)
            {
                writer.WriteStringValue(stop);
            }

            writer.WriteEndArray();
        }

        if (options.ResponseFormat is { } format)
        {
            writer.WritePropertyName("response_format");
            WriteResponseFormat(writer, format);
        }

        if (options.ToolMode is { } mode)
        {
            writer.WritePropertyName("tool_mode");
            writer.WriteStringValue(mode switch
            {
                RequiredChatToolMode required => "required:" + required.RequiredFunctionName,
                NoneChatToolMode => "none",
                AutoChatToolMode => "auto",
                _ => mode.GetType().FullName,
            });
        }

        if (options.Reasoning is { } reasoning)
        {
            writer.WritePropertyName("reasoning");
            JsonSerializer.Serialize(writer, reasoning, TypeInfo<ReasoningOptions>(json));
        }

        if (options.Tools is { Count: > 0 } tools)
        {
            writer.WriteStartArray("tools");
            foreach (var tool in tools)
            {
                if (tool is AIFunctionDeclaration function)
                {
                    writer.WriteRawValue(s_functions.GetValue(function, f => CanonicalTool(f, json)), skipInputValidation: true);
                }
                else
                {
                    WriteTool(writer, tool, json);
                }
            }

            writer.WriteEndArray();
        }

        if (options.AdditionalProperties is { Count: > 0 } properties)
        {
            writer.WritePropertyName("additional_properties");
            WriteProperties(writer, properties, json);
        }

        writer.WriteEndObject();
    }

    private static byte[] CanonicalTool(AIFunctionDeclaration function, JsonSerializerOptions json)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default, SkipValidation = true }))
        {
            WriteTool(writer, function, json);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteTool(Utf8JsonWriter writer, AITool tool, JsonSerializerOptions json)
    {
        writer.WriteStartObject();
        writer.WriteString("type", tool.GetType().FullName);
        writer.WriteString("name", tool.Name);
        writer.WriteString("description", tool.Description);
        if (tool is AIFunctionDeclaration function)
        {
            writer.WritePropertyName("schema");
            CanonicalJson.WriteValue(writer, function.JsonSchema);
            if (function.ReturnJsonSchema is { } returns)
            {
                writer.WritePropertyName("return_schema");
                CanonicalJson.WriteValue(writer, returns);
            }
        }

        if (tool.AdditionalProperties is { Count: > 0 } properties)
        {
            writer.WritePropertyName("additional_properties");
            WriteProperties(writer, properties, json);
        }

        writer.WriteEndObject();
    }

    private static void WriteResponseFormat(Utf8JsonWriter writer, ChatResponseFormat format)
    {
        if (format is ChatResponseFormatJson jsonFormat)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "json");
            WriteString(writer, "name", jsonFormat.SchemaName);
            WriteString(writer, "description", jsonFormat.SchemaDescription);
            if (jsonFormat.Schema is { } schema)
            {
                writer.WritePropertyName("schema");
                CanonicalJson.WriteValue(writer, schema);
            }

            writer.WriteEndObject();
            return;
        }

        writer.WriteStringValue(format is ChatResponseFormatText ? "text" : format.GetType().FullName);
    }

    /// <summary>Additional properties sorted by name, each value serialised (then canonicalised when it is JSON).</summary>
    private static void WriteProperties(Utf8JsonWriter writer, IReadOnlyDictionary<string, object?>? properties, JsonSerializerOptions json)
    {
        if (properties is null || properties.Count == 0)
        {
            writer.WriteNullValue();
            return;
        }

        var names = new string[properties.Count];
        var i = 0;
        foreach (var name in properties.Keys)
        {
            names[i++] = name;
        }

        Array.Sort(names, StringComparer.Ordinal);
        writer.WriteStartObject();
        foreach (var name in names)
        {
            writer.WritePropertyName(name);
            WriteObject(writer, properties[name], json);
        }

        writer.WriteEndObject();
    }

    private static void WriteObject(Utf8JsonWriter writer, object? value, JsonSerializerOptions json)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case JsonElement element:
                CanonicalJson.WriteValue(writer, element);
                break;
            default:
                // Serialised by its runtime type, then canonicalised, so a dictionary's order does not matter.
                using (var document = JsonSerializer.SerializeToDocument(value, json.GetTypeInfo(value.GetType())))
                {
                    writer.WriteStartArray();
                    writer.WriteStringValue(value.GetType().FullName);
                    CanonicalJson.WriteValue(writer, document.RootElement);
                    writer.WriteEndArray();
                }

                break;
        }
    }

    private static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerOptions json) => (JsonTypeInfo<T>)json.GetTypeInfo(typeof(T));

    private static void WriteNullableString(Utf8JsonWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    private static void WriteString(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, float? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, int? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Lives as long as its thread; the writer wraps managed memory only.")]
    private sealed class Scratch
    {
        // A huge conversation should not pin its buffer to the thread for ever.
        private const int KeepCapacity = 256 * 1024;

        private ArrayBufferWriter<byte> _buffer = new(16 * 1024);
        private readonly Utf8JsonWriter _writer;

        public Scratch() => _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions
        {
            Encoder = JavaScriptEncoder.Default,
            Indented = false,
            SkipValidation = true,
        });

        public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

        public Utf8JsonWriter Begin()
        {
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
            return _writer;
        }

        public void Release()
        {
            if (_buffer.Capacity > KeepCapacity)
            {
                _buffer = new ArrayBufferWriter<byte>(16 * 1024);
            }

            _writer.Reset(_buffer);
        }
    }
}
