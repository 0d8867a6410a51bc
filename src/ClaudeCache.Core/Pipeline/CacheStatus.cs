namespace ClaudeCache.Pipeline;

/// <summary>
/// Where an answer came from, decided in one place (<see cref="CacheEngine.HandleAsync"/>) and mapped to the
/// <c>x-cache</c> header and to the ledger by <see cref="CacheStatusNames"/>.
/// </summary>
public enum CacheStatus
{
    /// <summary>A stored answer, or a share of an identical call in flight: no upstream call for this caller.</summary>
    Hit,

    /// <summary>Not found: called upstream, and stored if the answer is complete.</summary>
    Miss,

    /// <summary><c>Cache-Control: no-cache</c>: the lookup was skipped, the fresh answer replaces the stored one.</summary>
    Refresh,

    /// <summary>Neither looked up nor stored (<c>no-store</c>, the no-cache strategy, a never-cache rule).</summary>
    Bypass,

    /// <summary>
    /// An expired entry kept for its grace, served because the upstream failed (<c>stale-if-error</c>) or while a
    /// background call refreshes it (<c>stale-while-revalidate</c>); priced as a hit (docs/serve-stale.md).
    /// </summary>
    Stale,
}
