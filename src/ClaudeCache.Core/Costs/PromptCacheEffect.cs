namespace ClaudeCache.Costs;

/// <summary>
/// What the proxy's own <c>cache_control</c> markers did to one upstream call's bill (docs/accounting.md, "Prompt
/// cache"): the call's input side (uncached input, cache writes and reads at their rates) against all of its prompt
/// tokens at the plain input rate, the same call without markers. Measured from the usage the API reported, never
/// assumed; the saving is negative when a write is never read. The default is no effect (no markers of the proxy's).
/// </summary>
/// <param name="Marked">True when the proxy placed the call's markers.</param>
/// <param name="SavedNanos">Without markers minus the actual input side, billionths of a dollar (0 when the price is unknown).</param>
/// <param name="WriteNanos">What the call's cache writes cost, billionths of a dollar.</param>
public readonly record struct PromptCacheEffect(bool Marked, long SavedNanos, long WriteNanos);
