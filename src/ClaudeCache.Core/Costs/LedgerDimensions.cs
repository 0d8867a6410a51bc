namespace ClaudeCache.Costs;

/// <summary>
/// What a ledger entry is filed under besides its model and outcome. The proxy, the handler and
/// <c>GetOrCallAsync</c> take them from the prepared request; a front end without one (the <c>IChatClient</c>
/// middleware) passes what it knows.
/// </summary>
/// <param name="Strategy">The strategy's header name (<c>StrategyNames.ToHeader</c>).</param>
/// <param name="ContextType">The declared context type, or empty.</param>
/// <param name="Tenant">A short tag of the tenant partition (never a credential).</param>
public readonly record struct LedgerDimensions(string Strategy, string ContextType, string Tenant);
