using System.Text.Json;

namespace ClaudeCache.Testing;

/// <summary>
/// A simulation of Anthropic's prompt cache inside <see cref="FakeAnthropicUpstream"/>, rule by rule as Anthropic
/// documents it (docs/prompt-caching.md, "The simulated prompt cache"). A request without <c>cache_control</c> is
/// answered exactly as without the simulator.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Breakpoints: <c>cache_control: {"type":"ephemeral"}</c> (optional <c>"ttl":"1h"</c>) on tools, system blocks
/// and message content blocks, or one top-level <c>cache_control</c> on the last cacheable block; at most
/// <see cref="MaxBreakpoints"/>, and no 1h breakpoint after a 5m one (both a 400).</item>
/// <item>Lookup: a breakpoint finds entries earlier requests wrote at its own block or up to
/// <see cref="LookbackBlocks"/> blocks before it; the longest one found is read.</item>
/// <item>Writes: from the read point to the last breakpoint whose prefix reaches <see cref="PromptCacheMinimums"/>,
/// each segment billed at the TTL of the breakpoint that ends it; entries become usable when the writing response
/// begins (its headers are sent), so parallel requests on a cold prefix each pay the write.</item>
/// <item>Caches are per API key (<c>x-api-key</c>, or the bearer token) and per model; reads renew the TTL; entries
/// expire by <see cref="Clock"/>.</item>
/// <item><c>max_tokens: 0</c> writes the cache without generating (a 400 with stream, thinking or a forced
/// tool_choice).</item>
/// </list>
/// </remarks>
public sealed class PromptCacheSimulator
{
    /// <summary>The most <c>cache_control</c> markers a request may carry (the top-level one included).</summary>
    public const int MaxBreakpoints = 4;

    /// <summary>How many blocks before a breakpoint its lookup reaches.</summary>
    public const int LookbackBlocks = 20;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, PromptCacheEntry> _entries = new(StringComparer.Ordinal);

    /// <summary>Whether the fake simulates the prompt cache (on by default).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Whether a run of consecutive <c>tool_use</c>/<c>tool_result</c> blocks counts as one block for the
    /// <see cref="LookbackBlocks"/> window (one reading of Anthropic's documentation); off by default: every block counts.
    /// </summary>
    public bool CountToolRunsAsOneBlock { get; set; }

    /// <summary>The clock entries expire by; tests set a <c>FakeTimeProvider</c>.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Entries not yet expired, for every key and model.</summary>
    public int EntryCount
    {
        get
        {
            var now = Clock.GetUtcNow();
            lock (_lock)
            {
                return _entries.Values.Count(e => e.ExpiresAt > now);
            }
        }
    }

    /// <summary>Forgets every entry.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
        }
    }

    /// <summary>Decides a request's cache reads and writes (reads renew their entry now); null when it has nothing to do.</summary>
    internal PromptCachePlan? Plan(ReceivedRequest request)
    {
        if (!Enabled)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(request.Body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            bool warmOnly = root.TryGetProperty("max_tokens", out var max) && max.ValueKind == JsonValueKind.Number
                && max.TryGetInt64(out long maxTokens) && maxTokens == 0;
            if (warmOnly && WarmOnlyProblem(root) is string problem)
            {
                return new PromptCachePlan { Error = problem };
            }

            var prefix = PromptPrefix.Parse(root, CountToolRunsAsOneBlock);
            if (prefix.Error is not null)
            {
                return new PromptCachePlan { Error = prefix.Error };
            }

            int total = PromptTokens.ForRequest(request.Body);
            if (prefix.Breakpoints.Count == 0)
            {
                return warmOnly ? new PromptCachePlan { WarmOnly = true, InputTokens = total } : null;
            }

            return PlanCore(prefix, ScopeOf(request), total, warmOnly);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Text .NET cannot read (a lone surrogate escape): answered as without the simulator, never a 500.
            return null;
        }
    }

    /// <summary>Makes a plan's writes usable: called when the response that writes them begins.</summary>
    internal void Commit(PromptCachePlan plan)
    {
        var now = Clock.GetUtcNow();
        lock (_lock)
        {
            foreach (var (key, ttl) in plan.Writes)
            {
                if (!_entries.TryGetValue(key, out var entry) || entry.ExpiresAt < now + ttl)
                {
                    _entries[key] = new PromptCacheEntry(now + ttl, ttl);
                }
            }
        }
    }

    private PromptCachePlan PlanCore(PromptPrefix prefix, string scope, int total, bool warmOnly)
    {
        var now = Clock.GetUtcNow();
        int minimum = PromptCacheMinimums.For(prefix.Model);
        int readAt = -1;
        var writes = new List<(string Key, TimeSpan Ttl)>();
        int written5m = 0, written1h = 0, end = -1;
        lock (_lock)
        {
            // The longest prefix an earlier request wrote, within any breakpoint's lookback window.
            foreach (var breakpoint in prefix.Breakpoints)
            {
                for (int block = breakpoint.Block; block > readAt && prefix.Unit(breakpoint.Block) - prefix.Unit(block) <= LookbackBlocks; block--)
                {
                    if (TryRead(scope + prefix.Identity(block), now))
                    {
                        readAt = block;
                        break;
                    }
                }
            }

            end = readAt;
            foreach (var breakpoint in prefix.Breakpoints)
            {
                if (breakpoint.Block <= end || prefix.TokensThrough(breakpoint.Block) < minimum)
                {
                    continue;
                }

                int segment = prefix.TokensThrough(breakpoint.Block) - prefix.TokensThrough(end);
                if (breakpoint.OneHour)
                {
                    written1h += segment;
                }
                else
                {
                    written5m += segment;
                }

                writes.Add((scope + prefix.Identity(breakpoint.Block), breakpoint.Ttl));
                end = breakpoint.Block;
            }
        }

        return new PromptCachePlan
        {
            HasBreakpoints = true,
            WarmOnly = warmOnly,
            CacheRead = prefix.TokensThrough(readAt),
            CacheCreation5m = written5m,
            CacheCreation1h = written1h,
            InputTokens = Math.Max(0, total - prefix.TokensThrough(end)),
            Writes = writes,
        };
    }

    /// <summary>Whether a live entry exists; a read renews its TTL at no cost.</summary>
    private bool TryRead(string key, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return false;
        }

        if (entry.ExpiresAt <= now)
        {
            _entries.Remove(key);
            return false;
        }

        entry.ExpiresAt = now + entry.Ttl;
        return true;
    }

    /// <summary>The cache a request's key and model share: the API key (x-api-key, else the bearer token).</summary>
    private static string ScopeOf(ReceivedRequest request)
    {
        string key = request.Header("x-api-key")
            ?? (request.Header("authorization") is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..] : string.Empty);
        return key + "\n";
    }

    private static string? WarmOnlyProblem(JsonElement root)
    {
        if (root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
        {
            return "max_tokens: 0 is not supported with streaming";
        }

        if (root.TryGetProperty("thinking", out var thinking) && thinking.ValueKind == JsonValueKind.Object
            && thinking.TryGetProperty("type", out var thinkingType)
            && !(thinkingType.ValueKind == JsonValueKind.String && thinkingType.ValueEquals("disabled")))
        {
            return "max_tokens: 0 is not supported with extended thinking";
        }

        if (root.TryGetProperty("tool_choice", out var choice) && choice.ValueKind == JsonValueKind.Object
            && choice.TryGetProperty("type", out var choiceType) && choiceType.ValueKind == JsonValueKind.String
            && (choiceType.ValueEquals("any") || choiceType.ValueEquals("tool")))
        {
            return "max_tokens: 0 is not supported with a forced tool_choice";
        }

        return null;
    }
}
