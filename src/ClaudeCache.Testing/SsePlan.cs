using System.Text;
using System.Text.Json;

namespace ClaudeCache.Testing;

/// <summary>
/// Turns a <see cref="FakeReply"/> into the ordered SSE events of docs/anthropic-wire.md §5, and frames them byte-exactly
/// (padding, the spaced ping).
/// </summary>
internal static class SsePlan
{
    // The real API writes the ping with a space, unlike every other event.
    private static readonly byte[] PingData = "{\"type\": \"ping\"}"u8.ToArray();

    public static List<SseEvent> Build(FakeReply reply)
    {
        var events = new List<SseEvent>
        {
            new("message_start", WireJson.Write(w =>
            {
                w.WriteStartObject();
                w.WriteString("type", "message_start");
                w.WritePropertyName("message");
                WireJson.WriteMessage(w, reply, streamingStart: true);
                w.WriteEndObject();
            })),
        };

        for (int index = 0; index < reply.Content.Count; index++)
        {
            AddBlock(events, reply.Content[index], index, Math.Max(1, reply.TextChunkSize));
        }

        events.Add(new("message_delta", WireJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "message_delta");
            w.WriteStartObject("delta");
            w.WriteString("stop_reason", reply.StopReason);
            if (reply.StopSequence is null)
            {
                w.WriteNull("stop_sequence");
            }
            else
            {
                w.WriteString("stop_sequence", reply.StopSequence);
            }

            w.WriteEndObject();
            w.WriteStartObject("usage");
            w.WriteNumber("input_tokens", reply.Usage.InputTokens);
            w.WriteNumber("cache_creation_input_tokens", reply.Usage.CacheCreationInputTokens);
            w.WriteNumber("cache_read_input_tokens", reply.Usage.CacheRead);
            w.WriteNumber("output_tokens", reply.Usage.OutputTokens);
            w.WriteEndObject();
            w.WriteEndObject();
        })));
        events.Add(new("message_stop", "{\"type\":\"message_stop\"}"u8.ToArray()));
        return InsertPings(events, reply.PingEvery);
    }

    /// <summary>
    /// <c>event: NAME\ndata: JSON\n\n</c>. When <paramref name="pad"/>, most data lines get a run of spaces
    /// (5–40, varying with <paramref name="position"/>) inside the JSON, before the final <c>}</c>.
    /// </summary>
    public static byte[] Frame(SseEvent ev, int position, bool pad)
    {
        byte[] data = ev.IsPing ? PingData : ev.Data;
        int spaces = pad && !ev.IsPing && position % 4 != 2 ? 5 + (position * 13 % 36) : 0;
        var bytes = new List<byte>(data.Length + spaces + ev.Name.Length + 16);
        bytes.AddRange("event: "u8);
        bytes.AddRange(Encoding.UTF8.GetBytes(ev.Name));
        bytes.AddRange("\ndata: "u8);
        bytes.AddRange(data.AsSpan(0, data.Length - 1));
        for (int i = 0; i < spaces; i++)
        {
            bytes.Add((byte)' ');
        }

        bytes.Add(data[^1]);
        bytes.AddRange("\n\n"u8);
        return [.. bytes];
    }

    public static byte[] FrameError(string requestId)
    {
        byte[] data = WireJson.StreamError(requestId);
        return [.. "event: error\ndata: "u8, .. data, .. "\n\n"u8];
    }

    private static List<SseEvent> InsertPings(List<SseEvent> events, int? pingEvery)
    {
        if (pingEvery is null)
        {
            return events;
        }

        var result = new List<SseEvent>(events.Count + 4) { events[0], new("ping", PingData) };
        for (int i = 1; i < events.Count; i++)
        {
            result.Add(events[i]);
            bool last = i == events.Count - 1;
            if (pingEvery > 0 && !last && i % pingEvery.Value == 0)
            {
                result.Add(new("ping", PingData));
            }
        }

        return result;
    }

    private static void AddBlock(List<SseEvent> events, FakeBlock block, int index, int chunk)
    {
        events.Add(new("content_block_start", WireJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "content_block_start");
            w.WriteNumber("index", index);
            w.WritePropertyName("content_block");
            WireJson.WriteBlock(w, block, empty: true);
            w.WriteEndObject();
        })));

        switch (block.Kind)
        {
            case FakeBlockKind.Text:
                foreach (string piece in Chunks(block.TextValue!, chunk))
                {
                    events.Add(Delta(index, "text_delta", "text", piece));
                }

                break;
            case FakeBlockKind.ToolUse:
                events.Add(Delta(index, "input_json_delta", "partial_json", string.Empty));
                foreach (string piece in Chunks(CompactJson(block.InputJson!), chunk))
                {
                    events.Add(Delta(index, "input_json_delta", "partial_json", piece));
                }

                break;
            case FakeBlockKind.Thinking:
                foreach (string piece in Chunks(block.ThinkingValue!, chunk))
                {
                    events.Add(Delta(index, "thinking_delta", "thinking", piece));
                }

                events.Add(Delta(index, "signature_delta", "signature", block.Signature!));
                break;
            default:
                break;
        }

        events.Add(new("content_block_stop", WireJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "content_block_stop");
            w.WriteNumber("index", index);
            w.WriteEndObject();
        })));
    }

    private static SseEvent Delta(int index, string deltaType, string field, string value) =>
        new("content_block_delta", WireJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "content_block_delta");
            w.WriteNumber("index", index);
            w.WriteStartObject("delta");
            w.WriteString("type", deltaType);
            w.WriteString(field, value);
            w.WriteEndObject();
            w.WriteEndObject();
        }));

    private static string CompactJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return Encoding.UTF8.GetString(WireJson.Write(doc.RootElement.WriteTo));
    }

    /// <summary>Splits into pieces of about <paramref name="size"/> chars, never inside a surrogate pair.</summary>
    private static IEnumerable<string> Chunks(string text, int size)
    {
        int start = 0;
        while (start < text.Length)
        {
            int end = Math.Min(text.Length, start + size);
            if (end < text.Length && char.IsHighSurrogate(text[end - 1]))
            {
                end++;
            }

            yield return text[start..end];
            start = end;
        }
    }
}
