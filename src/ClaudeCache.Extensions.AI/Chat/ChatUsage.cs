using ClaudeCache.Anthropic;
using Microsoft.Extensions.AI;

namespace ClaudeCache.Extensions.AI.Chat;

/// <summary>
/// Reads a chat answer's <see cref="UsageDetails"/> as the ledger's <see cref="TokenUsage"/>, so the chat middleware
/// is priced by the same <c>CostCalculator</c> as the proxy.
/// </summary>
/// <remarks>
/// <para>Microsoft.Extensions.AI counts cached input as part of <see cref="UsageDetails.InputTokenCount"/>. The official
/// <c>Anthropic</c> SDK's <c>AsIChatClient()</c> (13.x) follows it: <c>InputTokenCount</c> is Anthropic's
/// <c>input_tokens</c> + <c>cache_creation_input_tokens</c> + <c>cache_read_input_tokens</c>,
/// <see cref="UsageDetails.CachedInputTokenCount"/> the cache reads, and <c>AdditionalCounts["CacheCreationInputTokens"]</c>
/// the cache writes. The uncached input is what remains.</para>
/// <para>What it does not report is priced as the API's default: cache writes have no per-TTL split, so all are
/// 5-minute writes (a 1-hour write is then under-priced); no <c>inference_geo</c> or <c>service_tier</c>, so
/// standard, global rates.</para>
/// </remarks>
internal static class ChatUsage
{
    /// <summary>The <see cref="UsageDetails.AdditionalCounts"/> key of Anthropic's cache writes in the official SDK.</summary>
    public const string CacheCreationInputTokens = "CacheCreationInputTokens";

    /// <summary>The same count under the API's own name, as other Anthropic <c>IChatClient</c>s may report it.</summary>
    public const string CacheCreationInputTokensWire = "cache_creation_input_tokens";

    /// <summary>The ledger's usage of an answer; null when it reported none (its cost is then unknown, not zero).</summary>
    public static TokenUsage? ToTokenUsage(UsageDetails? details)
    {
        if (details is null || (details.InputTokenCount is null && details.OutputTokenCount is null))
        {
            return null;
        }

        var input = NonNegative(details.InputTokenCount);
        var output = NonNegative(details.OutputTokenCount);
        var read = NonNegative(details.CachedInputTokenCount);
        var write = NonNegative(AdditionalCount(details, CacheCreationInputTokens) ?? AdditionalCount(details, CacheCreationInputTokensWire));

        // Input that includes the cache classes (the convention) is at least their sum. One smaller than that can only
        // be Anthropic's own input_tokens, which excludes them: it is then the uncached input as it stands.
        var uncached = input >= read + write ? input - read - write : input;
        return new TokenUsage(uncached, output, write, read, CacheCreation5m: write, CacheCreation1h: 0, ServiceTier: null);
    }

    /// <summary>
    /// The usage reported by a stream's <see cref="UsageContent"/>s, summed as <c>ToChatResponse()</c> sums them; null
    /// when the stream reported none.
    /// </summary>
    public static UsageDetails? Sum(UsageDetails? total, ChatResponseUpdate update)
    {
        foreach (var content in update.Contents)
        {
            if (content is UsageContent { Details: { } details })
            {
                if (total is null)
                {
                    total = new UsageDetails();
                }

                total.Add(details);
            }
        }

        return total;
    }

    /// <summary>True when <paramref name="details"/> reports the cache writes (under either name).</summary>
    public static bool ReportsCacheCreation(UsageDetails details) =>
        (AdditionalCount(details, CacheCreationInputTokens) ?? AdditionalCount(details, CacheCreationInputTokensWire)) is not null;

    private static long? AdditionalCount(UsageDetails details, string name) =>
        details.AdditionalCounts is { } counts && counts.TryGetValue(name, out var value) ? value : null;

    private static long NonNegative(long? count) => Math.Max(0, count ?? 0);
}
