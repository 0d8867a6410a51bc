using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ClaudeCache.Testing;

/// <summary>
/// A request's prompt as the prompt cache sees it: its blocks in prefix order (each tool definition, each system
/// block, each message content block; a string is one text block), the identity of the prefix ending at each block,
/// its size in tokens, and the <c>cache_control</c> breakpoints.
/// </summary>
/// <remarks>
/// The identity of the prefix ending at block i is a hash chain over the model and the canonical form of blocks 0..i:
/// the section, the role and message boundaries, and each block's JSON without its <c>cache_control</c>, so adding
/// or moving a marker never changes a prefix, and string content equals the one text block it stands for. Sizes are
/// <see cref="PromptTokens"/>' estimate of the bytes as sent, markers left out.
/// </remarks>
internal sealed class PromptPrefix
{
    private readonly List<byte[]> _hashes = [];
    private readonly List<long> _bytesThrough = [];
    private readonly List<int> _units = [];
    private readonly List<CacheBreakpoint> _breakpoints = [];
    private readonly List<bool> _cacheable = [];
    private readonly bool _toolRunsAsOneBlock;
    private byte[] _chain;
    private long _bytes;
    private int _unit = -1;
    private bool _previousWasTool;

    private PromptPrefix(string model, bool toolRunsAsOneBlock)
    {
        Model = model;
        _toolRunsAsOneBlock = toolRunsAsOneBlock;
        _chain = SHA256.HashData(Encoding.UTF8.GetBytes("model:" + model));
    }

    /// <summary>The resolved model id (an alias resolves to its snapshot, which shares its cache).</summary>
    public string Model { get; }

    public int BlockCount => _hashes.Count;

    /// <summary>Breakpoints in prefix order (the top-level one on the last cacheable block).</summary>
    public IReadOnlyList<CacheBreakpoint> Breakpoints => _breakpoints;

    /// <summary>Why the API would reject the markers (400 invalid_request_error), or null.</summary>
    public string? Error { get; private set; }

    /// <summary>The identity of the prefix ending at <paramref name="block"/>.</summary>
    public string Identity(int block) => Convert.ToHexString(_hashes[block]);

    /// <summary>Tokens of the prefix ending at <paramref name="block"/> (0 for -1: the empty prefix).</summary>
    public int TokensThrough(int block) => block < 0 ? 0 : PromptTokens.FromBytes(_bytesThrough[block]);

    /// <summary>
    /// The lookback unit of a block: its index, or, when runs of tool blocks count as one, the index of its run.
    /// </summary>
    public int Unit(int block) => _units[block];

    public static PromptPrefix Parse(JsonElement root, bool toolRunsAsOneBlock)
    {
        string model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String
            ? ModelCatalog.Resolve(m.GetString()!)
            : string.Empty;
        var prefix = new PromptPrefix(model, toolRunsAsOneBlock);
        prefix.Read(root);
        prefix.Check();
        return prefix;
    }

    private void Read(JsonElement root)
    {
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                AddBlock("tools", null, newMessage: false, tool);
            }
        }

        if (root.TryGetProperty("system", out var system))
        {
            AddContent("system", null, system);
        }

        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content))
                {
                    string role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : string.Empty;
                    AddContent("messages", role, content);
                }
            }
        }

        // Automatic caching: one top-level marker, placed on the last block that can carry one. It takes a slot.
        if (root.TryGetProperty("cache_control", out var automatic))
        {
            int last = _cacheable.LastIndexOf(true);
            if (last >= 0)
            {
                AddBreakpoint(last, automatic);
            }
        }
    }

    private void AddContent(string section, string? role, JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            AddBlock(section, role, newMessage: true, content);
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            bool first = true;
            foreach (var block in content.EnumerateArray())
            {
                AddBlock(section, role, first, block);
                first = false;
            }
        }
    }

    private void AddBlock(string section, string? role, bool newMessage, JsonElement block)
    {
        int index = _hashes.Count;
        string type = block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()!
            : "text";

        // Identity: the previous prefix plus this block's canonical form.
        var canonical = new ArrayBufferWriter<byte>(256);
        canonical.Write(_chain);
        using (var w = new Utf8JsonWriter(canonical))
        {
            w.WriteStartObject();
            w.WriteString("section", section);
            w.WriteString("role", role);
            w.WriteBoolean("new_message", newMessage);
            w.WritePropertyName("block");
            WriteCanonical(w, block, depth: 0);
            w.WriteEndObject();
        }

        _chain = SHA256.HashData(canonical.WrittenSpan);
        _hashes.Add(_chain);

        // Size: the bytes as sent, markers left out.
        _bytes += Encoding.UTF8.GetByteCount(block.GetRawText()) - PromptTokens.MarkerBytes(block, depth: 1);
        _bytesThrough.Add(_bytes);

        bool isTool = type is "tool_use" or "tool_result";
        if (!(_toolRunsAsOneBlock && isTool && _previousWasTool))
        {
            _unit++;
        }

        _units.Add(_unit);
        _previousWasTool = isTool;

        bool empty = block.ValueKind == JsonValueKind.String
            ? block.GetString()!.Length == 0
            : type == "text" && block.ValueKind == JsonValueKind.Object && block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String && text.GetString()!.Length == 0;
        _cacheable.Add(!empty && type is not ("thinking" or "redacted_thinking"));

        if (block.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (block.TryGetProperty("cache_control", out var marker))
        {
            AddBreakpoint(index, marker);
        }

        // A marker on a block inside a tool_result's content ends the prefix at that tool_result.
        if (type == "tool_result" && block.TryGetProperty("content", out var inner) && inner.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in inner.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("cache_control", out var innerMarker))
                {
                    AddBreakpoint(index, innerMarker);
                }
            }
        }
    }

    private void AddBreakpoint(int block, JsonElement marker)
    {
        if (marker.ValueKind != JsonValueKind.Object
            || !marker.TryGetProperty("type", out var type)
            || type.ValueKind != JsonValueKind.String
            || !type.ValueEquals("ephemeral"))
        {
            Error ??= "cache_control.type: Input should be 'ephemeral'";
            return;
        }

        bool oneHour = false;
        if (marker.TryGetProperty("ttl", out var ttl))
        {
            if (ttl.ValueKind == JsonValueKind.String && ttl.ValueEquals("1h"))
            {
                oneHour = true;
            }
            else if (ttl.ValueKind != JsonValueKind.String || !ttl.ValueEquals("5m"))
            {
                Error ??= "cache_control.ttl: Input should be '5m' or '1h'";
                return;
            }
        }

        _breakpoints.Add(new CacheBreakpoint(block, oneHour));
    }

    private void Check()
    {
        // Stable: the top-level marker, added last, stays after an explicit marker on the same block.
        var ordered = _breakpoints.OrderBy(b => b.Block).ToList();
        _breakpoints.Clear();
        _breakpoints.AddRange(ordered);
        if (_breakpoints.Count > PromptCacheSimulator.MaxBreakpoints)
        {
            Error ??= $"A maximum of {PromptCacheSimulator.MaxBreakpoints} blocks with cache_control may be provided. Found {_breakpoints.Count}.";
        }

        bool seenFiveMinutes = false;
        foreach (var breakpoint in _breakpoints)
        {
            if (breakpoint.OneHour && seenFiveMinutes)
            {
                Error ??= "a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. "
                    + "Note that blocks are processed in the following order: `tools`, `system`, `messages`.";
            }

            seenFiveMinutes |= !breakpoint.OneHour;
        }
    }

    /// <summary>A block as JSON without <c>cache_control</c> (its own, and its tool_result parts'); a string becomes a text block.</summary>
    private static void WriteCanonical(Utf8JsonWriter w, JsonElement block, int depth)
    {
        switch (block.ValueKind)
        {
            case JsonValueKind.String:
                w.WriteStartObject();
                w.WriteString("type", "text");
                w.WriteString("text", block.GetString());
                w.WriteEndObject();
                break;
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var property in block.EnumerateObject())
                {
                    if (property.NameEquals("cache_control"))
                    {
                        continue;
                    }

                    w.WritePropertyName(property.Name);
                    if (depth == 0 && property.NameEquals("content") && property.Value.ValueKind == JsonValueKind.Array)
                    {
                        w.WriteStartArray();
                        foreach (var part in property.Value.EnumerateArray())
                        {
                            WriteCanonical(w, part, depth + 1);
                        }

                        w.WriteEndArray();
                    }
                    else
                    {
                        property.Value.WriteTo(w);
                    }
                }

                w.WriteEndObject();
                break;
            default:
                block.WriteTo(w);
                break;
        }
    }
}
