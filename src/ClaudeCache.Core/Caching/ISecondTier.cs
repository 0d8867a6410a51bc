namespace ClaudeCache.Caching;

/// <summary>
/// The durable tier behind the memory tier (a SQLite file, Redis). It stores opaque, already encoded entries
/// (see <c>EntryCodec</c>); expiry is enforced by the tier so entries past their keep time are never returned. An
/// entry may be kept past its TTL for its grace (docs/serve-stale.md): the entry's own expiry tells fresh from stale.
/// Implementations may throw on I/O failure: the response cache treats every exception as a miss (fail-open).
/// </summary>
public interface ISecondTier
{
    /// <summary>Returns the encoded entry for <paramref name="key"/>, or null when absent or past its keep time.</summary>
    ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores (or replaces) an encoded entry until <paramref name="expiresAt"/>.</summary>
    ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>
    /// Stores (or replaces) an encoded entry fresh until <paramref name="expiresAt"/> and kept, to answer as stale when
    /// the upstream fails, until <paramref name="keepUntil"/>. A tier with a size cap evicts entries past
    /// <paramref name="expiresAt"/> first; by default the entry is simply kept until <paramref name="keepUntil"/>.
    /// </summary>
    ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, DateTimeOffset keepUntil, CancellationToken cancellationToken) =>
        SetAsync(key, payload, keepUntil > expiresAt ? keepUntil : expiresAt, cancellationToken);

    /// <summary>Removes an entry; no error when it is absent.</summary>
    ValueTask RemoveAsync(string key, CancellationToken cancellationToken);
}
