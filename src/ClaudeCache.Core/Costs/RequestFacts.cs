namespace ClaudeCache.Costs;

/// <summary>
/// What the request log keeps of a request besides its ledger entry: which answer it asked for (a prefix of its cache
/// key) and what the policy allowed. No content, no credential.
/// </summary>
/// <param name="Key">The first <see cref="RequestLogRow.KeyLength"/> hex digits of the cache key; empty when the
/// front end has no key (nothing is logged then).</param>
/// <param name="Ttl">How long the policy let the answer be served (zero when nothing is stored).</param>
/// <param name="Lookup">Whether the policy let a stored answer be served (false for a refresh or a bypass).</param>
/// <param name="Store">Whether the policy let the fresh answer be stored (false for a bypass).</param>
public readonly record struct RequestFacts(string Key, TimeSpan Ttl, bool Lookup, bool Store);
