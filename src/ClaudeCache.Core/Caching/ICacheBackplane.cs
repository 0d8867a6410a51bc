namespace ClaudeCache.Caching;

/// <summary>
/// Keeps the memory tiers of several instances coherent: an invalidation or refresh on one instance evicts the entry
/// from every other instance's memory tier (they then read the shared second tier).
/// </summary>
public interface ICacheBackplane
{
    /// <summary>Tells the other instances to drop <paramref name="hexKey"/> from memory.</summary>
    Task PublishEvictionAsync(string hexKey, CancellationToken cancellationToken);
}
