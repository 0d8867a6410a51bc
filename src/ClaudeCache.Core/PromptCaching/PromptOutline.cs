using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ClaudeCache.PromptCaching;

/// <summary>Where in a request a block sits: the sections of Anthropic's prefix order.</summary>
internal enum PromptSection
{
    Tools,
    System,
    Messages,
}

/// <summary>
/// One block of a request's prompt, and the prefix that ends with it: where it is, how many bytes the prefix has, its
/// position for the 20-block lookback (every block counts: tools, system blocks, message blocks), and the prefix's
/// identity.
/// </summary>
/// <param name="Section">Tools, system or messages.</param>
/// <param name="Index">The tool, the system block, or the message.</param>
/// <param name="Block">The block within a message's content array; −1 for a string content (or a string system).</param>
/// <param name="PrefixBytes">UTF-8 bytes of the JSON of every block up to and including this one.</param>
/// <param name="Position">The block's index in prefix order, every block counted.</param>
/// <param name="Identity">A 128-bit hash of the tenant partition, the model, and every block up to this one.</param>
/// <param name="Cacheable">Whether Anthropic accepts <c>cache_control</c> on it (not empty text, not thinking).</param>
internal readonly record struct PromptPoint(PromptSection Section, int Index, int Block, long PrefixBytes, int Position, UInt128 Identity, bool Cacheable)
{
    /// <summary>The breakpoint that marks this block.</summary>
    public BreakpointMark Mark(bool oneHour) => new(Section, Index, Block, oneHour);
}

/// <summary>
/// A request's prompt reduced to what the planners need, read in one pass over the parsed body: the end of the tools,
/// the end of the system prompt, a leading document block, and the end of every user turn, each with the size and
/// identity of the prefix it ends. The identity chains the raw JSON of each block (as sent), so two requests share a
/// point exactly when their prompts agree byte for byte up to it.
/// </summary>
internal sealed class PromptOutline
{
    private readonly List<PromptPoint> _userTurns = [];

    private PromptOutline(string? model) => Model = model;

    /// <summary>The request's <c>model</c>, or null.</summary>
    public string? Model { get; }

    /// <summary>The last tool definition, when there are tools.</summary>
    public PromptPoint? ToolsEnd { get; private set; }

    /// <summary>The last system block (or the string system prompt), when there is one.</summary>
    public PromptPoint? SystemEnd { get; private set; }

    /// <summary>
    /// The block before the last of a first user message that has two or more blocks: a document (or several)
    /// followed by the question about it, the shape of a fan-out over one document.
    /// </summary>
    public PromptPoint? Document { get; private set; }

    /// <summary>The last block of every user message, in order.</summary>
    public IReadOnlyList<PromptPoint> UserTurns => _userTurns;

    /// <summary>The identity of everything before the messages (tools and system): what a conversation's turns share.</summary>
    public UInt128 Shape { get; private set; }

    /// <summary>Reads <paramref name="root"/>; the identities are seeded with <paramref name="partition"/> and the model.</summary>
    public static PromptOutline Read(JsonElement root, string partition)
    {
        var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        var outline = new PromptOutline(model);
        var hash = new XxHash128();
        hash.Append(Encoding.UTF8.GetBytes(partition));
        hash.Append([0]);
        hash.Append(Encoding.UTF8.GetBytes(model ?? string.Empty));
        hash.Append([0]);
        outline.Walk(root, hash);
        return outline;
    }

    private void Walk(JsonElement root, XxHash128 hash)
    {
        long bytes = 0;
        var position = -1;
        PromptPoint Add(PromptSection section, int index, int block, JsonElement element, ReadOnlySpan<byte> separator)
        {
            // A tool definition is an object without a block "type"; any object can carry the marker.
            var cacheable = section == PromptSection.Tools ? element.ValueKind == JsonValueKind.Object : IsCacheable(element);
            var raw = JsonMarshal.GetRawUtf8Value(element);
            hash.Append(separator);
            hash.Append(raw);
            bytes += raw.Length;
            position++;
            return new PromptPoint(section, index, block, bytes, position, hash.GetCurrentHashAsUInt128(), cacheable);
        }

        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                ToolsEnd = Add(PromptSection.Tools, index++, -1, tool, "\u0001t"u8);
            }
        }

        if (root.TryGetProperty("system", out var system))
        {
            if (system.ValueKind == JsonValueKind.String)
            {
                SystemEnd = Add(PromptSection.System, 0, -1, system, "\u0001s"u8);
            }
            else if (system.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var block in system.EnumerateArray())
                {
                    SystemEnd = Add(PromptSection.System, index++, -1, block, "\u0001s"u8);
                }
            }
        }

        Shape = hash.GetCurrentHashAsUInt128();
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var messageIndex = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var index = messageIndex++;
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content))
            {
                continue;
            }

            var user = message.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String && role.ValueEquals("user"u8);
            ReadOnlySpan<byte> separator = user ? "\u0002u"u8 : "\u0002a"u8;
            PromptPoint? last = null;
            if (content.ValueKind == JsonValueKind.String)
            {
                last = Add(PromptSection.Messages, index, -1, content, separator);
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                var count = content.GetArrayLength();
                var block = 0;
                foreach (var item in content.EnumerateArray())
                {
                    var point = Add(PromptSection.Messages, index, block, item, block == 0 ? separator : "\u0003"u8);
                    if (user && _userTurns.Count == 0 && messageIndex == 1 && count >= 2 && block == count - 2)
                    {
                        Document = point;
                    }

                    last = point;
                    block++;
                }
            }

            if (user && last is { } end)
            {
                _userTurns.Add(end);
            }
        }
    }

    // Anthropic rejects cache_control on empty text and on thinking blocks.
    private static bool IsCacheable(JsonElement block)
    {
        if (block.ValueKind == JsonValueKind.String)
        {
            return block.GetString()!.Length > 0;
        }

        if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        if (type.ValueEquals("thinking"u8) || type.ValueEquals("redacted_thinking"u8))
        {
            return false;
        }

        return !type.ValueEquals("text"u8)
            || (block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String && text.GetString()!.Length > 0);
    }
}
