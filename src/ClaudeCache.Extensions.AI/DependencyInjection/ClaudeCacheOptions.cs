using ClaudeCache.Caching;
using ClaudeCache.Keys;
using ClaudeCache.Policy;
using ClaudeCache.PromptCaching;

namespace ClaudeCache.Extensions.AI;

/// <summary>
/// The engine's configuration, for the library and the proxy alike (the proxy composes its engine with
/// <c>AddClaudeCache</c> and adds only its own settings, such as <c>Port</c>): section <c>ClaudeCache</c>, so one
/// appsettings.json configures both.
/// </summary>
public sealed class ClaudeCacheOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "ClaudeCache";

    /// <summary>
    /// Longest wait for the upstream's next byte (headers, then every read): beyond it a miss fails with 504.
    /// Default 10 minutes.
    /// </summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>First-byte and idle bounds of upstream calls, by form (docs/decisions/0009-upstream-timeouts.md).</summary>
    public UpstreamTimeouts UpstreamTimeouts { get; set; } = new();

    /// <summary>The second tier.</summary>
    public ClaudeCacheStorageOptions Storage { get; set; } = new();

    /// <summary>Memory tier and entry limits.</summary>
    public ResponseCacheOptions Cache { get; set; } = new();

    /// <summary>How HTTP-level entries are partitioned between credentials (as in the proxy).</summary>
    public TenantOptions Tenant { get; set; } = new();

    /// <summary>Strategies, TTLs and the rules that choose them (as in the proxy).</summary>
    public StrategyOptions Strategies { get; set; } = new();

    /// <summary>Cost accounting: the savings ledger in the cache's store, and its prices (as in the proxy).</summary>
    public ClaudeCacheCostsOptions Costs { get; set; } = new();

    /// <summary>Planned <c>cache_control</c> breakpoints on upstream calls (docs/prompt-caching.md).</summary>
    public PromptCachingOptions PromptCaching { get; set; } = new();

    /// <summary>The <see cref="ClaudeCachingChatClient"/> middleware's defaults.</summary>
    public ClaudeCacheChatOptions Chat { get; set; } = new();
}
