namespace ClaudeCache.Caching;

/// <summary>
/// Coalescing across instances (Redis): one instance calls upstream for a key while the others wait for its answer
/// to appear in the shared second tier. Implementations may throw on store failure; the caller then calls alone.
/// </summary>
public interface IDistributedCoalescer
{
    /// <summary>
    /// Takes the key's lease, or returns null when another instance holds it. The holder keeps the lease (renewing
    /// it) until it disposes the result, which releases it.
    /// </summary>
    Task<IAsyncDisposable?> TryAcquireAsync(string hexKey, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Waits (at most <paramref name="maxWait"/>) until the entry exists — true — or the lease is released or runs out
    /// without one — false. The entry appears only once the holder has the whole answer: a waiter on another instance
    /// does not follow a stream live.
    /// </summary>
    Task<bool> WaitForReleaseOrValueAsync(string hexKey, TimeSpan maxWait, CancellationToken cancellationToken);
}
