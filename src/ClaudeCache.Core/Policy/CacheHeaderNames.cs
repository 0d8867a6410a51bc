namespace ClaudeCache.Policy;

/// <summary>
/// The cache's own request and response headers, for every front end (proxy, handler). Request headers are stripped
/// before a request goes upstream.
/// </summary>
public static class CacheHeaderNames
{
    /// <summary>Request: the strategy, overriding context and content rules. Response: the strategy used.</summary>
    public const string Strategy = "x-cache-strategy";

    /// <summary>Request: the context type, looked up in <see cref="StrategyOptions.Contexts"/>.</summary>
    public const string Context = "x-cache-context";

    /// <summary>Request: the namespace, folded into the key (≤ 64 of <c>[A-Za-z0-9._:-]</c>).</summary>
    public const string Namespace = "x-cache-namespace";

    /// <summary>
    /// Request: <c>auto</c> (learned, the default), <c>always</c> or <c>off</c>: the prompt-cache breakpoints of this
    /// request's upstream call. Response (on the caller whose call went upstream): how many breakpoints were placed.
    /// </summary>
    public const string PromptBreakpoints = "x-cache-prompt-breakpoints";

    /// <summary>
    /// Request: tags attached to the entry this request stores, comma-separated (at most 8, each at most 64 of
    /// <c>[A-Za-z0-9._:-]</c>); not part of the key. <c>DELETE /admin/cache?tag=…</c> removes the entries of a tag.
    /// </summary>
    public const string Tags = "x-cache-tags";

    /// <summary>Response: HIT, MISS, REFRESH, BYPASS or STALE (<see cref="Pipeline.CacheStatusNames.ToHeader"/>).</summary>
    public const string Status = "x-cache";

    /// <summary>Response: the entry's key in hex.</summary>
    public const string Key = "x-cache-key";

    /// <summary>Response: why the strategy was chosen (<see cref="StrategyDecision.Reason"/>).</summary>
    public const string StrategyReason = "x-cache-strategy-reason";

    /// <summary>Response: <c>true</c> when this caller shared another caller's upstream call.</summary>
    public const string Coalesced = "x-cache-coalesced";

    /// <summary>Response: the request id (a fresh one on every answer the cache gives itself).</summary>
    public const string RequestId = "request-id";

    /// <summary>
    /// Response: milliseconds the upstream call waited for another call writing the same cold prompt prefix, so
    /// that it read the prefix instead of writing it again.
    /// </summary>
    public const string PromptWait = "x-cache-prompt-wait";

    /// <summary>Response: the age of a stored answer, in seconds.</summary>
    public const string Age = "age";

    /// <summary>
    /// Response to a STALE answer: why an expired entry answered — <c>upstream 529</c> (or 500, 502, 503, 504),
    /// <c>upstream timeout</c>, <c>upstream unreachable</c>, or <c>revalidating</c> (docs/serve-stale.md).
    /// </summary>
    public const string StaleReason = "x-cache-stale-reason";

    /// <summary>
    /// Response to an answer not served from the cache: <c>new</c>, <c>expired</c>, <c>evicted</c>,
    /// <c>invalidated</c>, <c>bypass</c> or <c>refresh</c> (<see cref="Caching.MissReasonNames"/>).
    /// </summary>
    public const string MissReason = "x-cache-miss-reason";
}
