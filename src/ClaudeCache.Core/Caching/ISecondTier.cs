namespace ClaudeCache.Caching;

/// <summary>
/// The durable tier behind the memory tier (a SQLite file, Redis). It stores opaque, already encoded entries
/// (see <c>EntryCodec</c>); expiry is enforced by the tier so expired entries are never returned.
/// Implementations may throw on I/O failure: the response cache treats every exception as a miss (fail-open).
/// </summary>
public interface ISecondTier
{
    /// <summary>Returns the encoded entry for <paramref name="key"/>, or null when absent or expired.</summary>
    ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores (or replaces) an encoded entry until <paramref name="expiresAt"/>.</summary>
    ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Removes an entry; no error when it is absent.</summary>
    ValueTask RemoveAsync(string key, CancellationToken cancellationToken);
}
