namespace ClaudeCache.Costs;

/// <summary>
/// One request in the request log: when, whose (the tenant's public tag), which answer (a key prefix), under what
/// policy, and what its call cost or would have cost. No prompt, no answer, no credential. The estimator
/// (<see cref="SavingsEstimator"/>) replays these rows under other TTLs.
/// </summary>
public sealed record RequestLogRow
{
    /// <summary>How many hex digits of the cache key are kept: 64 bits, enough to tell keys apart in any log.</summary>
    public const int KeyLength = 16;

    /// <summary>When the request was served, milliseconds since the Unix epoch.</summary>
    public long AtMs { get; init; }

    /// <summary>The tenant tag, as the ledger files it.</summary>
    public string Tenant { get; init; } = "";

    /// <summary>The first <see cref="KeyLength"/> hex digits of the cache key.</summary>
    public string Key { get; init; } = "";

    /// <summary>The strategy's name.</summary>
    public string Strategy { get; init; } = "";

    /// <summary>The context type, or empty.</summary>
    public string Context { get; init; } = "";

    /// <summary>The model, as the ledger files it.</summary>
    public string Model { get; init; } = "";

    /// <summary>The outcome's name (hit, miss, refresh, bypass, error).</summary>
    public string Outcome { get; init; } = "";

    /// <summary>Whether the policy let a stored answer be served.</summary>
    public bool Lookup { get; init; }

    /// <summary>Whether the policy let the fresh answer be stored.</summary>
    public bool Store { get; init; }

    /// <summary>The TTL the request was served under, seconds (0 when nothing is stored).</summary>
    public long TtlSeconds { get; init; }

    /// <summary>Input tokens (all classes: uncached, cache writes and reads) the call sent or would have sent.</summary>
    public long InputTokens { get; init; }

    /// <summary>Output tokens the call generated or would have generated.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Real spend, billionths of a dollar (0 for a hit).</summary>
    public long CostNanos { get; init; }

    /// <summary>Spend a hit avoided, billionths of a dollar (0 for anything else).</summary>
    public long AvoidedNanos { get; init; }

    /// <summary>What the call cost, or would have cost had it gone upstream: the spend, or for a hit what it avoided.</summary>
    public long CallNanos => CostNanos + AvoidedNanos;

    /// <summary>Whether the request was served from the cache.</summary>
    public bool Hit => Outcome == LedgerNames.Of(LedgerOutcome.Hit);
}
