using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ClaudeCache.Entries;
using Microsoft.Extensions.AI;

namespace ClaudeCache.Extensions.AI.Chat;

/// <summary>
/// The chat middleware's byte forms: stored entries (a <see cref="ChatResponse"/>, or the list of
/// <see cref="ChatResponseUpdate"/>s of a stream as a JSON array) and the frames a flight carries to its callers
/// (each a 4-byte little-endian length, then one update's or the response's JSON).
/// </summary>
internal sealed class ChatCodec
{
    private const int FrameHeaderLength = sizeof(int);

    private readonly JsonTypeInfo<ChatResponse> _response;
    private readonly JsonTypeInfo<ChatResponseUpdate> _update;

    public ChatCodec(JsonSerializerOptions json)
    {
        _response = (JsonTypeInfo<ChatResponse>)json.GetTypeInfo(typeof(ChatResponse));
        _update = (JsonTypeInfo<ChatResponseUpdate>)json.GetTypeInfo(typeof(ChatResponseUpdate));
    }

    public byte[] Serialize(ChatResponse response) => JsonSerializer.SerializeToUtf8Bytes(response, _response);

    public byte[] Serialize(ChatResponseUpdate update) => JsonSerializer.SerializeToUtf8Bytes(update, _update);

    public ChatResponse DeserializeResponse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, _response) ?? throw new JsonException("A chat response is null.");

    public ChatResponseUpdate DeserializeUpdate(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, _update) ?? throw new JsonException("A chat update is null.");

    /// <summary>A stored answer as one response, whichever form it was stored in.</summary>
    public ChatResponse ResponseOf(CachedResponse entry) => entry.Kind switch
    {
        ResponseKind.ChatResponse => DeserializeResponse(entry.Body.Span),
        ResponseKind.ChatResponseUpdates => DeserializeUpdates(entry.Body).ToChatResponse(),
        _ => throw new JsonException($"A {entry.Kind} entry is not a chat answer."),
    };

    /// <summary>A stored answer as updates: as received for a stored stream, else the ones the response converts to.</summary>
    public IReadOnlyList<ChatResponseUpdate> UpdatesOf(CachedResponse entry) => entry.Kind switch
    {
        ResponseKind.ChatResponseUpdates => DeserializeUpdates(entry.Body),
        ResponseKind.ChatResponse => DeserializeResponse(entry.Body.Span).ToChatResponseUpdates(),
        _ => throw new JsonException($"A {entry.Kind} entry is not a chat answer."),
    };

    /// <summary>The model and usage a stored answer reported, for its ledger entry.</summary>
    public (string? Model, UsageDetails? Usage) Describe(CachedResponse entry)
    {
        if (entry.Kind == ResponseKind.ChatResponseUpdates)
        {
            var updates = DeserializeUpdates(entry.Body);
            return (updates.FirstOrDefault(static u => u.ModelId is not null)?.ModelId ?? entry.Model, updates.Aggregate((UsageDetails?)null, ChatUsage.Sum));
        }

        var response = ResponseOf(entry);
        return (response.ModelId ?? entry.Model, response.Usage);
    }

    /// <summary>The JSON array of a stream's updates, from their JSON.</summary>
    public static byte[] ToArray(IReadOnlyList<byte[]> updates)
    {
        var buffer = new ArrayBufferWriter<byte>(2 + updates.Sum(static u => u.Length + 1));
        buffer.Write("["u8);
        for (var i = 0; i < updates.Count; i++)
        {
            if (i > 0)
            {
                buffer.Write(","u8);
            }

            buffer.Write(updates[i]);
        }

        buffer.Write("]"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One frame: the JSON's length, then the JSON, written at once so a reader never sees part of it.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> json)
    {
        var frame = new byte[FrameHeaderLength + json.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, json.Length);
        json.CopyTo(frame.AsSpan(FrameHeaderLength));
        return frame;
    }

    /// <summary>The JSON of each whole frame in <paramref name="data"/>, and how many bytes they take.</summary>
    public static int ReadFrames(ReadOnlySpan<byte> data, List<Range> frames)
    {
        var position = 0;
        while (data.Length - position >= FrameHeaderLength)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(data[position..]);
            if (data.Length - position - FrameHeaderLength < length)
            {
                break;
            }

            var start = position + FrameHeaderLength;
            frames.Add(start..(start + length));
            position = start + length;
        }

        return position;
    }

    private List<ChatResponseUpdate> DeserializeUpdates(ReadOnlyMemory<byte> body)
    {
        var updates = new List<ChatResponseUpdate>();
        var reader = new Utf8JsonReader(body.Span);
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            updates.Add(JsonSerializer.Deserialize(ref reader, _update) ?? throw new JsonException("A stored chat update is null."));
        }

        return updates;
    }
}
