using System.Text.Json;
using ClaudeCache.Policy;

namespace ClaudeCache.Extensions.AI;

/// <summary>Options of the <see cref="ClaudeCachingChatClient"/> middleware (configuration section <c>ClaudeCache:Chat</c>).</summary>
public sealed class ClaudeCacheChatOptions
{
    /// <summary>
    /// The partition folded into every key: applications (or tenants) that share one store but must never see each
    /// other's answers use different partitions. Default <c>default</c>.
    /// </summary>
    public string Partition { get; set; } = "default";

    /// <summary>A namespace folded into every key (as <c>x-cache-namespace</c> does for the proxy); empty by default.</summary>
    public string Namespace { get; set; } = "";

    /// <summary>
    /// Tags recorded with every entry this middleware stores (as <c>x-cache-tags</c> does for the proxy): at most 8,
    /// each at most 64 of <c>[A-Za-z0-9._:-]</c>; not part of the key. <c>ResponseCache.PurgeAsync</c> (or the proxy's
    /// <c>DELETE /admin/cache?tag=…</c> on a shared store) removes a tag's entries. None by default.
    /// </summary>
    public IReadOnlyList<string>? Tags { get; set; }

    /// <summary>The strategy recorded with each entry (statistics, tags). Default <see cref="CacheStrategy.Standard"/>.</summary>
    public CacheStrategy Strategy { get; set; } = CacheStrategy.Standard;

    /// <summary>How long an answer is served. Default 6 hours, the proxy's standard TTL.</summary>
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromHours(6);

    /// <summary>
    /// How a streamed answer is stored. Default false: as the updates were received, replayed exactly so to streaming
    /// callers (a non-streaming caller gets the response they make, <c>ToChatResponse()</c>). True: as one
    /// <c>ChatResponse</c>, replayed to streaming callers as the updates it converts to. Either form answers both
    /// kinds of caller: streamed and non-streamed identical calls share one key and one inner call.
    /// </summary>
    public bool CoalesceStreamingUpdates { get; set; }

    /// <summary>
    /// Whether concurrent identical calls share one inner call through the engine's flights — streamed or not, in this
    /// process and, over Redis, across instances. Default true: N callers, one call. False: each call runs alone (its
    /// answer is still stored).
    /// </summary>
    public bool CoalesceConcurrentCalls { get; set; } = true;

    /// <summary>Extra values folded into every key (a prompt version, a user id).</summary>
    public IReadOnlyList<object?>? CacheKeyAdditionalValues { get; set; }

    /// <summary>
    /// Serialiser options for stored responses and for keying content types; default
    /// <c>AIJsonUtilities.DefaultOptions</c>. Set it when you use custom <c>AIContent</c> types.
    /// </summary>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }
}
