namespace ClaudeCache.Caching;

/// <summary>
/// Keeps the memory tiers of several instances coherent: an invalidation or refresh on one instance evicts the entry
/// from every other instance's memory tier (they then read the shared second tier).
/// </summary>
public interface ICacheBackplane
{
    /// <summary>Tells the other instances to drop <paramref name="hexKey"/> from memory.</summary>
    Task PublishEvictionAsync(string hexKey, CancellationToken cancellationToken);

    /// <summary>
    /// Tells the other instances to drop every key of <paramref name="hexKeys"/> (one batch of a purge). The default
    /// publishes them one by one; a backplane that can carry several keys in one message overrides it.
    /// </summary>
    async Task PublishEvictionsAsync(IReadOnlyList<string> hexKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hexKeys);
        foreach (var hexKey in hexKeys)
        {
            await PublishEvictionAsync(hexKey, cancellationToken).ConfigureAwait(false);
        }
    }
}
