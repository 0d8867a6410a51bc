using ClaudeCache.Costs;

namespace ClaudeCache.Caching;

/// <summary>
/// What one storage provider puts behind an engine: the second tier the <see cref="ResponseCache"/> is built over,
/// the savings ledger's store and, for a store several instances share (Redis), the cross-instance coalescer and the
/// invalidation backplane. The proxy and in-process users compose their engines from the same implementations
/// (<see cref="MemoryCacheStores"/>, <c>SqliteCacheStores</c>, <c>RedisCacheStores</c>).
/// </summary>
/// <remarks>
/// Lifecycle: create the stores; build the cache over <see cref="SecondTier"/>, the flight runner with
/// <see cref="Coalescer"/> and the ledger over <see cref="LedgerStore"/>; call <see cref="Start"/> once with the cache;
/// dispose the stores after the cache and the ledger, which may still write through them. The cache disposes its
/// second tier itself.
/// </remarks>
public interface ICacheStores : IAsyncDisposable
{
    /// <summary>The tier under the memory tier, or null for none (nothing survives a restart).</summary>
    ISecondTier? SecondTier { get; }

    /// <summary>Where the savings ledger's counts are added.</summary>
    ILedgerStore LedgerStore { get; }

    /// <summary>Coalescing of identical misses across instances, or null when the store is not shared.</summary>
    IDistributedCoalescer? Coalescer { get; }

    /// <summary>
    /// Attaches the stores to <paramref name="cache"/> (built over <see cref="SecondTier"/>) and starts their
    /// background work: on Redis, connecting and the backplane that evicts from this instance's memory tier what other
    /// instances replaced or removed. Never blocks; that work ends when <paramref name="stopping"/> is cancelled or
    /// the stores are disposed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The stores were started already.</exception>
    void Start(ResponseCache cache, CancellationToken stopping);
}
