using ClaudeCache.Anthropic;

namespace ClaudeCache.Caching;

/// <summary>
/// The hook where the cost ledger plugs into <see cref="CacheEngine.GetOrCallAsync(ReadOnlyMemory{byte}, RequestHeaders, UpstreamSend, CancellationToken)"/>:
/// it prices a Message's usage. Without one, <see cref="CacheCallResult.Cost"/> and
/// <see cref="CacheCallResult.Saving"/> stay null (unknown), never a made-up zero.
/// </summary>
public interface ICostEstimator
{
    /// <summary>The price in US dollars of <paramref name="usage"/> on <paramref name="model"/>, or null when unknown.</summary>
    decimal? EstimateCost(string model, TokenUsage usage);
}
