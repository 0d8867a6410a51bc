namespace ClaudeCache.Caching;

/// <summary>
/// Coalescing across instances (Redis): one instance calls upstream for a key while the others wait for its answer
/// to appear in the shared second tier. Implementations may throw on store failure; the caller then calls alone.
/// </summary>
public interface IDistributedCoalescer
{
    /// <summary>Takes the key's lease, or returns null when another instance holds it. Dispose to release.</summary>
    Task<IAsyncDisposable?> TryAcquireAsync(string hexKey, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Waits (at most <paramref name="maxWait"/>) until the entry exists — true — or the lease is released without
    /// one — false.
    /// </summary>
    Task<bool> WaitForReleaseOrValueAsync(string hexKey, TimeSpan maxWait, CancellationToken cancellationToken);
}
