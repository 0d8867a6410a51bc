namespace ClaudeCache.Caching;

/// <summary>
/// A second tier that indexes entries by their <see cref="EntryMetadata"/> (tags, tenant, namespace, model, strategy,
/// context, creation time), so that a purge finds them without reading every entry. The index lives in the store, so
/// it survives a restart and every instance sharing the store sees it; its records go when their entry goes (removed,
/// expired, evicted). Optional: a tier without it can be purged of nothing but single keys. See docs/invalidation.md.
/// </summary>
public interface IEntryIndex
{
    /// <summary>
    /// <see cref="ISecondTier.SetAsync(string, ReadOnlyMemory{byte}, DateTimeOffset, DateTimeOffset, CancellationToken)"/>
    /// (fresh until <paramref name="expiresAt"/>, kept until <paramref name="keepUntil"/>) that also records
    /// <paramref name="metadata"/>, replacing what an earlier entry under the same key recorded.
    /// </summary>
    ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, DateTimeOffset keepUntil, EntryMetadata metadata, CancellationToken cancellationToken);

    /// <summary>
    /// Finds the stored entries that match <paramref name="filter"/> and, unless <paramref name="dryRun"/>, removes
    /// them (with their index records). Works in bounded batches, each yielded as the keys it matched (and removed):
    /// a purge of many entries never holds the store for long, and the caller can evict each batch from memory at once.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<string>> PurgeAsync(PurgeFilter filter, bool dryRun, CancellationToken cancellationToken);
}
