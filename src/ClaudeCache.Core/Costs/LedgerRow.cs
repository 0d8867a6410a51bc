namespace ClaudeCache.Costs;

/// <summary>
/// The ledger aggregated by minute and dimension: the unit it persists and adds up. Money is kept in billionths of a
/// dollar as integers, so sums are exact and rows from several instances add without rounding drift.
/// </summary>
public sealed class LedgerRow
{
    /// <summary>Minutes since the Unix epoch.</summary>
    public long Minute { get; init; }

    /// <summary>Model id.</summary>
    public string Model { get; init; } = "";

    /// <summary>Strategy name.</summary>
    public string Strategy { get; init; } = "";

    /// <summary>Context type.</summary>
    public string Context { get; init; } = "";

    /// <summary>Tenant hash.</summary>
    public string Tenant { get; init; } = "";

    /// <summary>Outcome name.</summary>
    public string Outcome { get; init; } = "";

    /// <summary>
    /// Why the requests were served so (<see cref="LedgerEntry.Reason"/>): a stale reason, a miss reason,
    /// <see cref="RevalidationReason"/>, or empty. A fixed set, so it needs no cap.
    /// </summary>
    public string Reason { get; init; } = "";

    /// <summary>The <see cref="Reason"/> of a background refresh started by <c>stale-while-revalidate</c>.</summary>
    public const string RevalidationReason = "revalidation";

    /// <summary>Requests counted.</summary>
    public long Requests { get; set; }

    /// <summary>Requests whose model had no price.</summary>
    public long PriceUnknown { get; set; }

    /// <summary>Uncached input tokens billed.</summary>
    public long InputTokens { get; set; }

    /// <summary>Output tokens billed.</summary>
    public long OutputTokens { get; set; }

    /// <summary>Prompt-cache writes (5-minute TTL) billed.</summary>
    public long CacheWrite5mTokens { get; set; }

    /// <summary>Prompt-cache writes (1-hour TTL) billed.</summary>
    public long CacheWrite1hTokens { get; set; }

    /// <summary>Prompt-cache reads billed.</summary>
    public long CacheReadTokens { get; set; }

    /// <summary>Input tokens (all classes) that hits did not send upstream.</summary>
    public long AvoidedInputTokens { get; set; }

    /// <summary>Output tokens that hits did not have generated.</summary>
    public long AvoidedOutputTokens { get; set; }

    /// <summary>Real spend, billionths of a dollar.</summary>
    public long CostNanos { get; set; }

    /// <summary>Avoided spend, billionths of a dollar.</summary>
    public long AvoidedNanos { get; set; }

    /// <summary>Sum of latencies, microseconds.</summary>
    public long LatencyMicros { get; set; }

    /// <summary>Upstream calls whose <c>cache_control</c> markers the proxy placed.</summary>
    public long PromptCacheCalls { get; set; }

    /// <summary>What those calls' markers saved (negative: they cost more), billionths of a dollar.</summary>
    public long PromptCacheSavedNanos { get; set; }

    /// <summary>What those calls' cache writes cost, billionths of a dollar.</summary>
    public long PromptCacheWriteNanos { get; set; }

    /// <summary>Adds another row's counts to this one.</summary>
    public void Add(LedgerRow other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Requests += other.Requests;
        PriceUnknown += other.PriceUnknown;
        InputTokens += other.InputTokens;
        OutputTokens += other.OutputTokens;
        CacheWrite5mTokens += other.CacheWrite5mTokens;
        CacheWrite1hTokens += other.CacheWrite1hTokens;
        CacheReadTokens += other.CacheReadTokens;
        AvoidedInputTokens += other.AvoidedInputTokens;
        AvoidedOutputTokens += other.AvoidedOutputTokens;
        CostNanos += other.CostNanos;
        AvoidedNanos += other.AvoidedNanos;
        LatencyMicros += other.LatencyMicros;
        PromptCacheCalls += other.PromptCacheCalls;
        PromptCacheSavedNanos += other.PromptCacheSavedNanos;
        PromptCacheWriteNanos += other.PromptCacheWriteNanos;
    }

    /// <summary>A copy with the same dimensions and zero counts.</summary>
    public LedgerRow EmptyCopy() => new() { Minute = Minute, Model = Model, Strategy = Strategy, Context = Context, Tenant = Tenant, Outcome = Outcome, Reason = Reason };
}
