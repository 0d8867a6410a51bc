namespace ClaudeCache.Testing;

/// <summary>
/// What the simulated prompt cache decided for one request, before it is answered: the usage it will report and the
/// entries the answer will write once its headers are sent.
/// </summary>
internal sealed class PromptCachePlan
{
    /// <summary>Why the request is a 400 (invalid_request_error), or null.</summary>
    public string? Error { get; init; }

    /// <summary>Whether the request carries a breakpoint, so the simulator reports the usage.</summary>
    public bool HasBreakpoints { get; init; }

    /// <summary><c>max_tokens: 0</c>: write the cache, generate nothing.</summary>
    public bool WarmOnly { get; init; }

    public int InputTokens { get; init; }

    public int CacheRead { get; init; }

    public int CacheCreation5m { get; init; }

    public int CacheCreation1h { get; init; }

    /// <summary>The cache entries to create (identity and TTL), made usable when the response begins.</summary>
    public IReadOnlyList<(string Key, TimeSpan Ttl)> Writes { get; init; } = [];

    /// <summary>The reply with the simulated usage (a scripted usage that already has cache figures is kept).</summary>
    public FakeReply Apply(FakeReply reply)
    {
        var usage = reply.Usage;
        bool scripted = usage.CacheCreation5m != 0 || usage.CacheCreation1h != 0 || usage.CacheRead != 0;
        if (HasBreakpoints && !scripted)
        {
            usage = usage with
            {
                InputTokens = InputTokens,
                CacheCreation5m = CacheCreation5m,
                CacheCreation1h = CacheCreation1h,
                CacheRead = CacheRead,
            };
        }

        if (WarmOnly)
        {
            // Pre-warming: the prompt is processed and cached, nothing is generated.
            return reply with { Content = [], StopReason = "max_tokens", StopSequence = null, Usage = usage with { OutputTokens = 0 } };
        }

        return reply with { Usage = usage };
    }
}
