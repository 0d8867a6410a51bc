namespace ClaudeCache.Policy;

/// <summary>
/// Strategies, their TTLs and the rules that choose them (configuration section <c>ClaudeCache:Strategies</c>).
/// Validated at start-up by <see cref="StrategyOptionsValidator"/>.
/// </summary>
public sealed class StrategyOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "ClaudeCache:Strategies";

    /// <summary>TTL of <see cref="CacheStrategy.Aggressive"/> entries. Default 24 hours.</summary>
    public TimeSpan AggressiveTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>TTL of <see cref="CacheStrategy.Standard"/> entries. Default 6 hours.</summary>
    public TimeSpan StandardTtl { get; set; } = TimeSpan.FromHours(6);

    /// <summary>TTL of <see cref="CacheStrategy.Conservative"/> entries. Default 1 hour 30 minutes.</summary>
    public TimeSpan ConservativeTtl { get; set; } = TimeSpan.FromMinutes(90);

    /// <summary>TTL of <see cref="CacheStrategy.RealTime"/> entries. Default 15 minutes.</summary>
    public TimeSpan RealTimeTtl { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long an expired <see cref="CacheStrategy.Aggressive"/> entry is kept, to answer when the upstream fails
    /// (docs/serve-stale.md). Default 7 days.
    /// </summary>
    public TimeSpan AggressiveGrace { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long an expired <see cref="CacheStrategy.Standard"/> entry is kept, to answer when the upstream fails. Default 24 hours.</summary>
    public TimeSpan StandardGrace { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long an expired <see cref="CacheStrategy.Conservative"/> entry is kept, to answer when the upstream fails. Default 2 hours.</summary>
    public TimeSpan ConservativeGrace { get; set; } = TimeSpan.FromHours(2);

    /// <summary>How long an expired <see cref="CacheStrategy.RealTime"/> entry is kept, to answer when the upstream fails. Default 0: never stale.</summary>
    public TimeSpan RealTimeGrace { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Upper bound of a grace, and of a request's <c>Cache-Control: stale-if-error</c> and
    /// <c>stale-while-revalidate</c> (a request may widen its entry's grace up to this). Default 30 days.
    /// </summary>
    public TimeSpan MaxGrace { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The strategy when neither a header, a context type nor a content rule chooses one.</summary>
    public CacheStrategy DefaultStrategy { get; set; } = CacheStrategy.Standard;

    /// <summary>
    /// Strategy per context type (the <c>x-cache-context</c> header); names are case-insensitive.
    /// Configured entries are added to (or replace) the defaults.
    /// </summary>
    public Dictionary<string, CacheStrategy> Contexts { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["explanation"] = CacheStrategy.Aggressive,
        ["documentation"] = CacheStrategy.Aggressive,
        ["property_analysis"] = CacheStrategy.Standard,
        ["lead_qualification"] = CacheStrategy.Standard,
        ["recommendation"] = CacheStrategy.Standard,
        ["objection_handling"] = CacheStrategy.Standard,
        ["market_analysis"] = CacheStrategy.Conservative,
        ["market_summary"] = CacheStrategy.Conservative,
        ["coaching"] = CacheStrategy.RealTime,
        ["live_coaching"] = CacheStrategy.RealTime,
        ["one_off"] = CacheStrategy.NoCache,
    };

    /// <summary>
    /// Your content rules, checked in order before <see cref="DefaultContentRules"/>; the first match wins.
    /// Put time-sensitive (shorter TTL) rules before long-lived ones, so that "explain today's market" is
    /// conservative, not aggressive.
    /// </summary>
    /// <remarks>
    /// Empty by default rather than pre-filled: the configuration binder appends to a list that already has
    /// items, so pre-filled defaults would always be checked before the rules you configure.
    /// </remarks>
    public List<ContentRule> ContentRules { get; set; } = [];

    /// <summary>Whether <see cref="DefaultContentRules"/> are checked after <see cref="ContentRules"/>. Default true.</summary>
    public bool UseDefaultContentRules { get; set; } = true;

    /// <summary>Whether requests with a <c>container</c> may be cached. Default false: code execution has side effects.</summary>
    public bool CacheContainerRequests { get; set; }

    /// <summary>
    /// Whether requests with <c>mcp_servers</c> may be cached. Default false: remote tools have side effects and
    /// live data, and the request carries their authorization tokens.
    /// </summary>
    public bool CacheMcpServerRequests { get; set; }

    /// <summary>Lower bound of a TTL set by <c>Cache-Control: max-age</c>. Default 1 minute.</summary>
    public TimeSpan MinTtl { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Upper bound of a TTL set by <c>Cache-Control: max-age</c>. Default 30 days.</summary>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// The built-in content rules, shortest TTL first: real-time phrases, then time-sensitive ones, then
    /// definitions and explanations; a new list on every call, so no caller can change another's. They look at
    /// the last user turn only, because a system prompt is mostly boilerplate: a persona that says "explain
    /// clearly" would otherwise make every request aggressive.
    /// </summary>
    public static IReadOnlyList<ContentRule> DefaultContentRules =>
    [
        // A word, not a substring: "deliver" and "olive" are not live.
        Rule(@"\blive\b", CacheStrategy.RealTime, isRegex: true),
        Rule("in this call", CacheStrategy.RealTime),
        Rule("current price", CacheStrategy.Conservative),
        Rule("today", CacheStrategy.Conservative),
        Rule("market", CacheStrategy.Conservative),
        Rule("right now", CacheStrategy.Conservative),
        Rule("latest", CacheStrategy.Conservative),
        Rule("explain", CacheStrategy.Aggressive),
        Rule("what is", CacheStrategy.Aggressive),
        Rule("what are", CacheStrategy.Aggressive),
        // A word: "undefined" is not a request for a definition.
        Rule(@"\bdefine\b", CacheStrategy.Aggressive, isRegex: true),
        Rule("how does", CacheStrategy.Aggressive),
    ];

    /// <summary>The TTL of a strategy; zero for <see cref="CacheStrategy.NoCache"/>.</summary>
    public TimeSpan GetTtl(CacheStrategy strategy) => strategy switch
    {
        CacheStrategy.Aggressive => AggressiveTtl,
        CacheStrategy.Standard => StandardTtl,
        CacheStrategy.Conservative => ConservativeTtl,
        CacheStrategy.RealTime => RealTimeTtl,
        _ => TimeSpan.Zero,
    };

    /// <summary>The grace of a strategy: how long its expired entries are kept to answer when the upstream fails; zero for <see cref="CacheStrategy.NoCache"/>.</summary>
    public TimeSpan GetGrace(CacheStrategy strategy) => strategy switch
    {
        CacheStrategy.Aggressive => AggressiveGrace,
        CacheStrategy.Standard => StandardGrace,
        CacheStrategy.Conservative => ConservativeGrace,
        CacheStrategy.RealTime => RealTimeGrace,
        _ => TimeSpan.Zero,
    };

    private static ContentRule Rule(string pattern, CacheStrategy strategy, bool isRegex = false) => new()
    {
        Pattern = pattern,
        IsRegex = isRegex,
        Strategy = strategy,
        Scope = ContentScope.LastUserTurn,
    };
}
