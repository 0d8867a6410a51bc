using System.Diagnostics.CodeAnalysis;

namespace ClaudeCache.Policy;

/// <summary>What the cache does with one request: whether to look up, whether to store, for how long, where.</summary>
/// <param name="Strategy">The chosen strategy (<see cref="CacheStrategy.NoCache"/> when never-cache rules apply).</param>
/// <param name="Reason">Why, for the <c>x-cache-strategy-reason</c> response header.</param>
/// <param name="Ttl">How long a stored answer is served; zero when nothing is stored.</param>
/// <param name="Lookup">Whether a cached answer may be served.</param>
/// <param name="Store">Whether the fresh answer may be stored.</param>
/// <param name="Namespace">The namespace folded into the key; empty by default.</param>
/// <param name="Error">A message naming the invalid header, or null.</param>
public readonly record struct CachePolicy(
    CacheStrategy Strategy,
    string Reason,
    TimeSpan Ttl,
    bool Lookup,
    bool Store,
    string Namespace,
    string? Error = null)
{
    /// <summary>What the request allows of expired entries (docs/serve-stale.md); all zero when nothing is stored.</summary>
    public StalePolicy Stale { get; init; }

    /// <summary>True when the request's headers were valid.</summary>
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid => Error is null;

    /// <summary>A policy that reports an invalid header: nothing is looked up or stored.</summary>
    public static CachePolicy Invalid(string error) =>
        new(CacheStrategy.NoCache, "invalid", TimeSpan.Zero, Lookup: false, Store: false, Namespace: "", error);
}
