namespace ClaudeCache.Policy;

/// <summary>
/// What a request allows of an expired entry (docs/serve-stale.md): how long the entry it stores is kept past its
/// TTL, and how far past its TTL an entry it looks up may still answer.
/// </summary>
/// <param name="Keep">How long past its TTL the entry this request stores is kept: the strategy's grace, widened by the request's <c>stale-if-error</c> or <c>stale-while-revalidate</c>, at most <see cref="StrategyOptions.MaxGrace"/>.</param>
/// <param name="IfError">How long past its TTL an entry may answer when the upstream fails (5xx, 529, timeout, unreachable); zero: never.</param>
/// <param name="WhileRevalidate">How long past its TTL an entry may answer at once while a background call refreshes it; zero: never.</param>
public readonly record struct StalePolicy(TimeSpan Keep, TimeSpan IfError, TimeSpan WhileRevalidate)
{
    /// <summary>
    /// The stale policy of a request of <paramref name="strategy"/> with these <c>Cache-Control</c> directives:
    /// <c>stale-if-error=N</c> replaces the strategy's grace (0 refuses stale answers); <c>stale-while-revalidate=N</c>
    /// applies to aggressive and standard requests only. Both are clamped to <see cref="StrategyOptions.MaxGrace"/>.
    /// </summary>
    public static StalePolicy Of(CacheStrategy strategy, in CacheControlDirectives directives, StrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var grace = options.GetGrace(strategy);
        var ifError = Min(directives.StaleIfError ?? grace, options.MaxGrace);
        var whileRevalidate = strategy is CacheStrategy.Aggressive or CacheStrategy.Standard
            ? Min(directives.StaleWhileRevalidate ?? TimeSpan.Zero, options.MaxGrace)
            : TimeSpan.Zero;
        var keep = Max(grace, Max(ifError, whileRevalidate));
        return new StalePolicy(keep, ifError, whileRevalidate);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
