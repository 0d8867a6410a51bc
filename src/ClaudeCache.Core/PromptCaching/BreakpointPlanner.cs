using System.Runtime.InteropServices;
using System.Text.Json;
using ClaudeCache.Anthropic;

namespace ClaudeCache.PromptCaching;

/// <summary>
/// Places <c>cache_control</c> breakpoints in a Messages request so that Anthropic's own prompt cache can serve the
/// stable part of the prompt on a later call (WIRE.md §7): the response cache saves whole calls, this saves the
/// prefix of the calls that still go upstream. See docs/prompt-caching.md.
/// </summary>
/// <remarks>
/// At most four breakpoints, in prefix order (tools → system → messages):
/// <list type="number">
/// <item>on the last tool definition (tools are the most stable prefix);</item>
/// <item>on the last system block (a string system prompt becomes one text block to carry it);</item>
/// <item>on an earlier user turn about <see cref="LookbackBlocks"/> blocks back, when the conversation is longer than
/// the lookback Anthropic searches for earlier entries;</item>
/// <item>on the last content block of the last user message, so the next turn reads everything before it.</item>
/// </list>
/// Each only when the estimated prefix up to it reaches the model's <see cref="MinimumCacheablePrefix"/>. Tokens
/// are <em>estimated</em> as UTF-8 bytes of the JSON ÷ <see cref="BytesPerToken"/>: no tokenizer, so it is
/// approximate (JSON syntax counts too, which leans towards placing). A request that already has any
/// <c>cache_control</c> is left alone: its author knows best.
/// </remarks>
public static class BreakpointPlanner
{
    /// <summary>Anthropic's limit on breakpoints per request.</summary>
    public const int MaxBreakpoints = 4;

    /// <summary>How many blocks back a breakpoint looks for an entry an earlier request wrote.</summary>
    public const int LookbackBlocks = 20;

    /// <summary>The token estimate's divisor: about four bytes of English text (or JSON) make a token.</summary>
    public const int BytesPerToken = 4;

    private const string CacheControl = "cache_control";

    /// <summary>
    /// Plans breakpoints for a <c>/v1/messages</c> body. Returns the rewritten body, or null when it leaves the
    /// request alone (not a JSON object, already has <c>cache_control</c>, or nothing reaches the minimum prefix).
    /// </summary>
    public static byte[]? Plan(ReadOnlySpan<byte> requestBody, BreakpointOptions options) =>
        Plan(requestBody, RequestEndpoint.Messages, options);

    /// <summary>
    /// As <see cref="Plan(ReadOnlySpan{byte}, BreakpointOptions)"/>; always null for
    /// <see cref="RequestEndpoint.CountTokens"/> (counting caches nothing).
    /// </summary>
    public static byte[]? Plan(ReadOnlySpan<byte> requestBody, RequestEndpoint endpoint, BreakpointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (endpoint != RequestEndpoint.Messages)
        {
            return null;
        }

        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(requestBody);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || HasCacheControl(root))
            {
                return null;
            }

            var plan = Choose(root);
            return plan.Count == 0 ? null : BreakpointWriter.Write(root, plan, options, requestBody.Length);
        }
    }

    /// <summary>Where the breakpoints go; <see cref="BreakpointPlan.None"/> when nothing is worth caching.</summary>
    internal static BreakpointPlan Choose(JsonElement root)
    {
        var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        long minimumBytes = (long)MinimumCacheablePrefix.For(model) * BytesPerToken;
        long prefixBytes = 0;
        var plan = BreakpointPlan.None;

        // Tools come first in the prefix.
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                prefixBytes += Size(tool);
            }

            if (prefixBytes >= minimumBytes && tools[tools.GetArrayLength() - 1].ValueKind == JsonValueKind.Object)
            {
                plan = plan with { Tool = tools.GetArrayLength() - 1 };
            }
        }

        // Then the system prompt.
        if (root.TryGetProperty("system", out var system))
        {
            var last = -1;
            if (system.ValueKind == JsonValueKind.String)
            {
                prefixBytes += Size(system);
                last = IsCacheable(system) ? 0 : -1;
            }
            else if (system.ValueKind == JsonValueKind.Array && system.GetArrayLength() > 0)
            {
                foreach (var block in system.EnumerateArray())
                {
                    prefixBytes += Size(block);
                }

                last = IsCacheable(system[system.GetArrayLength() - 1]) ? system.GetArrayLength() - 1 : -1;
            }

            if (last >= 0 && prefixBytes >= minimumBytes)
            {
                plan = plan with { System = last };
            }
        }

        // Then the conversation.
        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            plan = ChooseInMessages(messages, prefixBytes, minimumBytes, plan);
        }

        return plan;
    }

    private static BreakpointPlan ChooseInMessages(JsonElement messages, long prefixBytes, long minimumBytes, BreakpointPlan plan)
    {
        // The end of each user turn: its message index, its last block's position (in lookback blocks), the prefix
        // up to it, and whether its last block can carry cache_control.
        var turns = new List<(int Message, int Position, long PrefixBytes, bool Cacheable)>();
        var position = -1;
        var previousWasTool = false;
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content))
            {
                index++;
                continue;
            }

            JsonElement? lastBlock = null;
            if (content.ValueKind == JsonValueKind.String)
            {
                prefixBytes += Size(content);
                position++;
                previousWasTool = false;
                lastBlock = content;
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                foreach (var block in content.EnumerateArray())
                {
                    prefixBytes += Size(block);
                    // A run of consecutive tool_use or tool_result blocks counts as one block of lookback.
                    var isTool = IsToolBlock(block);
                    if (!(isTool && previousWasTool))
                    {
                        position++;
                    }

                    previousWasTool = isTool;
                    lastBlock = block;
                }
            }

            if (lastBlock is { } end && message.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String && role.ValueEquals("user"u8))
            {
                turns.Add((index, position, prefixBytes, IsCacheable(end)));
            }

            index++;
        }

        if (turns.Count == 0)
        {
            return plan;
        }

        var final = turns[^1];
        if (final.Cacheable && final.PrefixBytes >= minimumBytes)
        {
            plan = plan with { LastUserTurn = final.Message };
        }

        // Beyond the lookback, the last breakpoint cannot reach an entry written many blocks earlier: a second one
        // on the earliest user turn still inside its window (or, failing that, the latest before it) chains them.
        if (final.Position >= LookbackBlocks)
        {
            var lookback = -1;
            for (var i = 0; i < turns.Count - 1; i++)
            {
                if (turns[i].Position > final.Position - LookbackBlocks)
                {
                    lookback = i;
                    break;
                }
            }

            if (lookback < 0)
            {
                lookback = turns.Count - 2;
            }

            if (lookback >= 0 && turns[lookback].Cacheable && turns[lookback].PrefixBytes >= minimumBytes)
            {
                plan = plan with { LookbackUserTurn = turns[lookback].Message };
            }
        }

        return plan;
    }

    /// <summary>Whether the request already places any breakpoint, top-level or on a block (nested ones included).</summary>
    internal static bool HasCacheControl(JsonElement root)
    {
        if (root.TryGetProperty(CacheControl, out _))
        {
            return true;
        }

        if (root.TryGetProperty("tools", out var tools) && AnyHas(tools))
        {
            return true;
        }

        if (root.TryGetProperty("system", out var system) && AnyHas(system))
        {
            return true;
        }

        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content) && AnyHas(content))
                {
                    return true;
                }
            }
        }

        return false;
    }

    // Blocks in an array, and the blocks a block carries in its own "content" (tool_result, search_result);
    // never tool inputs or schemas, where a property called cache_control is the caller's data.
    private static bool AnyHas(JsonElement blocks)
    {
        if (blocks.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var block in blocks.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (block.TryGetProperty(CacheControl, out _) || (block.TryGetProperty("content", out var inner) && AnyHas(inner)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsToolBlock(JsonElement block) =>
        block.ValueKind == JsonValueKind.Object
        && block.TryGetProperty("type", out var type)
        && (type.ValueEquals("tool_use"u8) || type.ValueEquals("tool_result"u8));

    // Anthropic rejects cache_control on empty text and on thinking blocks.
    private static bool IsCacheable(JsonElement block)
    {
        if (block.ValueKind == JsonValueKind.String)
        {
            return block.GetString()!.Length > 0;
        }

        if (block.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (!block.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
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

    // The element's bytes as sent: the estimate's unit.
    private static int Size(JsonElement element) => JsonMarshal.GetRawUtf8Value(element).Length;
}
