using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.Keys;

namespace ClaudeCache;

/// <summary>What <see cref="CacheEngine.GetOrCallAsync(ReadOnlyMemory{byte}, RequestHeaders, UpstreamSend, CancellationToken)"/> returns.</summary>
/// <param name="StatusCode">200 for an answer; the upstream's (or the engine's own 400/502/504) status otherwise.</param>
/// <param name="Body">The Message JSON (a count_tokens result for that endpoint), or the error body.</param>
/// <param name="IsSuccess">True when <paramref name="Body"/> is a complete, successful answer.</param>
/// <param name="FromCache">True when no upstream call was made for this caller: a stored answer, or a coalesced one.</param>
/// <param name="Coalesced">True when the answer came from an identical call already in flight.</param>
/// <param name="Status">The proxy's <c>x-cache</c> value: HIT, MISS, REFRESH or BYPASS (empty for a rejected request).</param>
/// <param name="Key">The cache key (default for a rejected request).</param>
/// <param name="Usage">The Message's token usage (zero for errors and count_tokens).</param>
/// <param name="Cost">What this call spent upstream (0 for a hit); null when no <see cref="ICostEstimator"/> is set or the model has no price.</param>
/// <param name="Saving">What serving from the cache avoided (0 for a miss); null when no <see cref="ICostEstimator"/> is set or the model has no price.</param>
public sealed record CacheCallResult(
    int StatusCode,
    ReadOnlyMemory<byte> Body,
    bool IsSuccess,
    bool FromCache,
    bool Coalesced,
    string Status,
    CacheKey Key,
    TokenUsage Usage,
    decimal? Cost,
    decimal? Saving);
