namespace ClaudeCache.Caching;

/// <summary>Why a request was not answered from the cache: the <c>x-cache-miss-reason</c> header (docs/serve-stale.md).</summary>
public enum MissReason
{
    /// <summary>Nothing was stored under the key, as far as the cache remembers.</summary>
    New,

    /// <summary>An entry was found past its TTL (kept for its grace), or was dropped at its expiry.</summary>
    Expired,

    /// <summary>The entry was dropped to make room (a size cap).</summary>
    Evicted,

    /// <summary>The entry was removed by an operator or a purge (<see cref="ResponseCache.InvalidateAsync"/>).</summary>
    Invalidated,

    /// <summary>The request may not be cached (no-store, the no-cache strategy, a never-cache rule).</summary>
    Bypass,

    /// <summary><c>Cache-Control: no-cache</c>: the lookup was skipped.</summary>
    Refresh,
}
