namespace ClaudeCache.Warming;

/// <summary>What one run of <see cref="CacheWarmer.WarmAsync"/> did.</summary>
/// <param name="Profile">The profile's name.</param>
/// <param name="Concurrency">The limit the run used.</param>
/// <param name="Results">Every request's result, in the profile's order.</param>
/// <param name="Elapsed">Wall time of the whole run.</param>
public sealed record WarmingSummary(string Profile, int Concurrency, IReadOnlyList<WarmingResult> Results, TimeSpan Elapsed)
{
    /// <summary>Requests sent.</summary>
    public int Sent => Results.Count;

    /// <summary>Answers that were already cached (HIT).</summary>
    public int AlreadyCached => Count(WarmingOutcome.AlreadyCached);

    /// <summary>Answers fetched upstream and now cached (MISS).</summary>
    public int Warmed => Count(WarmingOutcome.Warmed);

    /// <summary>Successful answers the cache does not keep.</summary>
    public int NotCached => Count(WarmingOutcome.NotCached);

    /// <summary>Prompt-cache pre-warms sent (their prefixes are written to Anthropic's prompt cache).</summary>
    public int PromptWarmed => Count(WarmingOutcome.PromptWarmed);

    /// <summary>Requests that failed.</summary>
    public int Failed => Count(WarmingOutcome.Failed);

    private int Count(WarmingOutcome outcome) => Results.Count(r => r.Outcome == outcome);
}
