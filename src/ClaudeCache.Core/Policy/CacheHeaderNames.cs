namespace ClaudeCache.Policy;

/// <summary>The proxy's own request and response headers. They are stripped before a request goes upstream.</summary>
public static class CacheHeaderNames
{
    /// <summary>Request: the strategy, overriding context and content rules.</summary>
    public const string Strategy = "x-cache-strategy";

    /// <summary>Request: the context type, looked up in <see cref="StrategyOptions.Contexts"/>.</summary>
    public const string Context = "x-cache-context";

    /// <summary>Request: the namespace, folded into the key (≤ 64 of <c>[A-Za-z0-9._:-]</c>).</summary>
    public const string Namespace = "x-cache-namespace";

    /// <summary>Response: why the strategy was chosen (<see cref="StrategyDecision.Reason"/>).</summary>
    public const string StrategyReason = "x-cache-strategy-reason";
}
