using System.Text;
using System.Text.Json;

namespace ClaudeCache.Testing;

/// <summary>
/// The fake's token estimate, used by the prompt-cache simulator, the default usage and every test that reasons about
/// tokens: UTF-8 bytes of the JSON as sent, divided by 4 (rounded down). Every <c>cache_control</c> member is left out,
/// because adding or moving a marker must not change what a prompt costs. There is no tokenizer on purpose: the
/// estimate only has to be deterministic and the same everywhere.
/// </summary>
public static class PromptTokens
{
    /// <summary>The bytes <c>,"cache_control":</c> adds around a marker's value.</summary>
    private static readonly int MarkerOverhead = Encoding.UTF8.GetByteCount("\"cache_control\":") + 1;

    /// <summary>Tokens for <paramref name="utf8Bytes"/> bytes of JSON.</summary>
    public static int FromBytes(long utf8Bytes) => (int)Math.Min(int.MaxValue, Math.Max(0, utf8Bytes) / 4);

    /// <summary>Tokens for a piece of text (its UTF-8 bytes ÷ 4): how the workload sizes its long prompts.</summary>
    public static int ForText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return FromBytes(Encoding.UTF8.GetByteCount(text));
    }

    /// <summary>
    /// The whole request: its bytes less every <c>cache_control</c> member, ÷ 4, at least 1. For a body without
    /// markers this is exactly what <see cref="DefaultResponder"/> reports as <c>input_tokens</c>.
    /// </summary>
    public static int ForRequest(byte[] body)
    {
        ArgumentNullException.ThrowIfNull(body);
        long bytes = body.Length;
        try
        {
            using var doc = JsonDocument.Parse(body);
            bytes -= MarkerBytes(doc.RootElement, depth: 0);
        }
        catch (JsonException)
        {
            // Not JSON: nothing to leave out.
        }

        return Math.Max(1, FromBytes(bytes));
    }

    /// <summary>
    /// Bytes of the <c>cache_control</c> members in <paramref name="element"/>: its own, those of the blocks inside a
    /// tool_result's content, and (at the top level) those of tools, system and message blocks. Never inside tool
    /// inputs or schemas, where a property of that name is the caller's data.
    /// </summary>
    internal static long MarkerBytes(JsonElement element, int depth)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return 0;
        }

        long bytes = OwnMarkerBytes(element);
        if (depth == 0)
        {
            foreach (string section in (string[])["tools", "system"])
            {
                if (element.TryGetProperty(section, out var items) && items.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in items.EnumerateArray())
                    {
                        bytes += MarkerBytes(item, depth: 1);
                    }
                }
            }

            if (element.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            {
                foreach (var message in messages.EnumerateArray())
                {
                    if (message.ValueKind == JsonValueKind.Object
                        && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var block in content.EnumerateArray())
                        {
                            bytes += MarkerBytes(block, depth: 1);
                        }
                    }
                }
            }
        }
        else if (depth == 1 && element.TryGetProperty("content", out var inner) && inner.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in inner.EnumerateArray())
            {
                bytes += OwnMarkerBytes(block);
            }
        }

        return bytes;
    }

    private static long OwnMarkerBytes(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("cache_control", out var marker)
            ? MarkerOverhead + Encoding.UTF8.GetByteCount(marker.GetRawText())
            : 0;
}
