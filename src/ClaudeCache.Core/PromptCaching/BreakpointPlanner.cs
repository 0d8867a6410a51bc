using System.Text.Json;
using ClaudeCache.Anthropic;

namespace ClaudeCache.PromptCaching;

/// <summary>
/// Places <c>cache_control</c> breakpoints in a Messages request so that Anthropic's own prompt cache can serve the
/// stable part of the prompt on a later call (docs/anthropic-wire.md §7): the response cache saves whole calls, this saves the
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
    public static byte[]? Plan(ReadOnlySpan<byte> requestBody, RequestEndpoint endpoint, BreakpointOptions options) =>
        Plan(requestBody, endpoint, options, out _);

    /// <summary>As <see cref="Plan(ReadOnlySpan{byte}, RequestEndpoint, BreakpointOptions)"/>, saying how many breakpoints it placed.</summary>
    internal static byte[]? Plan(ReadOnlySpan<byte> requestBody, RequestEndpoint endpoint, BreakpointOptions options, out int count)
    {
        ArgumentNullException.ThrowIfNull(options);
        count = 0;
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

            var plan = Choose(PromptOutline.Read(root, string.Empty), options.OneHourTtl);
            count = plan.Count;
            return plan.Count == 0 ? null : BreakpointWriter.Write(root, plan, requestBody.Length).ToArray();
        }
    }

    /// <summary>The estimated tokens of a prefix of <paramref name="bytes"/> UTF-8 bytes.</summary>
    internal static long Tokens(long bytes) => bytes / BytesPerToken;

    /// <summary>Whether a breakpoint at <paramref name="point"/> can write an entry for <paramref name="model"/>.</summary>
    internal static bool Qualifies(PromptPoint? point, string? model) =>
        point is { Cacheable: true } p && Tokens(p.PrefixBytes) >= MinimumCacheablePrefix.For(model);

    /// <summary>
    /// Every structural breakpoint: the last tool, the last system block, the last user turn, and for a conversation
    /// longer than the lookback an earlier user turn that chains the windows; each only when its prefix reaches the
    /// model's minimum.
    /// </summary>
    private static BreakpointPlan Choose(PromptOutline outline, bool oneHour)
    {
        var marks = new List<BreakpointMark>(MaxBreakpoints);
        foreach (var point in (PromptPoint?[])[outline.ToolsEnd, outline.SystemEnd])
        {
            if (Qualifies(point, outline.Model))
            {
                marks.Add(point!.Value.Mark(oneHour));
            }
        }

        var turns = outline.UserTurns;
        if (turns.Count == 0)
        {
            return new BreakpointPlan(marks);
        }

        var final = turns[^1];
        if (Qualifies(final, outline.Model))
        {
            marks.Add(final.Mark(oneHour));
        }

        // Beyond the lookback, the last breakpoint cannot reach an entry written many blocks earlier: a second one
        // on the earliest user turn still inside its window (or, failing that, the latest before it) chains them.
        // Every block counts, so the chain holds whichever way Anthropic counts runs of tool blocks.
        var firstMessage = (outline.SystemEnd ?? outline.ToolsEnd)?.Position + 1 ?? 0;
        if (final.Position - firstMessage >= LookbackBlocks)
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

            if (lookback >= 0 && Qualifies(turns[lookback], outline.Model))
            {
                marks.Add(turns[lookback].Mark(oneHour));
            }
        }

        return new BreakpointPlan(marks);
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
}
