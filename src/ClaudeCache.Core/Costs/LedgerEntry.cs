using ClaudeCache.Anthropic;

namespace ClaudeCache.Costs;

/// <summary>
/// One request, as the ledger records it. A hit's <see cref="Usage"/> is what its answer used when it was first
/// produced (the tokens it avoided); its <see cref="CostNanos"/> is 0 and <see cref="AvoidedNanos"/> is that usage
/// at today's prices. Nothing is counted as both spent and saved.
/// </summary>
/// <param name="At">When the request was served.</param>
/// <param name="Model">The resolved model id (or the requested one when the answer has none).</param>
/// <param name="Strategy">The strategy's header name.</param>
/// <param name="ContextType">The declared context type, or empty.</param>
/// <param name="Tenant">A short hash of the tenant partition (never a credential).</param>
/// <param name="Outcome">How it was served.</param>
/// <param name="Usage">Tokens by class.</param>
/// <param name="CostNanos">Real spend in billionths of a dollar.</param>
/// <param name="AvoidedNanos">Spend avoided in billionths of a dollar.</param>
/// <param name="PriceKnown">False when the model has no price: reported, never counted as free.</param>
/// <param name="Latency">Time to serve the request.</param>
/// <param name="PromptCache">The prompt-cache effect of the proxy's own <c>cache_control</c> markers on the call, or
/// none (a hit, an error, a call the proxy sent without markers or with the caller's).</param>
/// <param name="Reason">Why it was served so: an <c>x-cache-stale-reason</c> (<see cref="Caching.StaleReasons"/>), an
/// <c>x-cache-miss-reason</c> (<see cref="Caching.MissReasonNames"/>), <see cref="LedgerRow.RevalidationReason"/>, or
/// empty. Fixed sets: never a value a client chose.</param>
public readonly record struct LedgerEntry(
    DateTimeOffset At,
    string Model,
    string Strategy,
    string ContextType,
    string Tenant,
    LedgerOutcome Outcome,
    TokenUsage Usage,
    long CostNanos,
    long AvoidedNanos,
    bool PriceKnown,
    TimeSpan Latency,
    PromptCacheEffect PromptCache = default,
    string Reason = "")
{
    /// <summary>What the request log keeps of the request (its key prefix and policy); empty when the front end has no key.</summary>
    public RequestFacts Request { get; init; }
}
