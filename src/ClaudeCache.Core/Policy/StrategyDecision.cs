using System.Diagnostics.CodeAnalysis;

namespace ClaudeCache.Policy;

/// <summary>The strategy chosen for a request and why, or the error in the request's headers.</summary>
/// <param name="Strategy">The chosen strategy.</param>
/// <param name="Reason">Why, for the <c>x-cache-strategy-reason</c> response header: <c>header</c>,
/// <c>context:{name}</c>, <c>rule:{pattern}</c> or <c>default</c>.</param>
/// <param name="Error">A message naming the invalid header, or null.</param>
public readonly record struct StrategyDecision(CacheStrategy Strategy, string Reason, string? Error = null)
{
    /// <summary>True when the headers were valid.</summary>
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid => Error is null;

    /// <summary>A decision that reports an invalid header; nothing may be looked up or stored.</summary>
    public static StrategyDecision Invalid(string error) => new(CacheStrategy.NoCache, "invalid", error);
}
