namespace ClaudeCache.Warming;

/// <summary>What warming one request achieved.</summary>
public enum WarmingOutcome
{
    /// <summary>The answer was already cached (<c>x-cache: HIT</c>): nothing was spent.</summary>
    AlreadyCached,

    /// <summary>The request went upstream and its answer is now cached (<c>x-cache: MISS</c> or <c>REFRESH</c>).</summary>
    Warmed,

    /// <summary>It succeeded, but the cache keeps no answer for it (<c>BYPASS</c>, a no-cache strategy).</summary>
    NotCached,

    /// <summary>A <see cref="WarmingRequest.PrewarmPrompt"/> request succeeded: its prefix was sent to be written to Anthropic's prompt cache.</summary>
    PromptWarmed,

    /// <summary>An error answer, an unreachable proxy or a timeout. Reported, never retried.</summary>
    Failed,
}
