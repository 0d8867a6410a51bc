namespace ClaudeCache.Storage.Redis;

/// <summary>The time to live written to Redis for an entry: its remaining lifetime minus a random jitter.</summary>
internal static class RedisTtl
{
    /// <summary>
    /// Returns <paramref name="ttl"/> shortened by a random fraction in [0, <paramref name="jitter"/>], at least 1 ms.
    /// </summary>
    /// <remarks>
    /// The jitter only ever shortens: the stored entry carries its own expiry, which the response cache checks, so
    /// a copy kept past it would be memory spent on an entry nobody may read, and would not spread anything.
    /// Taking time off is what actually staggers the misses of entries written together.
    /// </remarks>
    public static TimeSpan Apply(TimeSpan ttl, double jitter, double unitRandom)
    {
        var factor = 1.0 - (jitter * unitRandom);
        var ticks = (long)(ttl.Ticks * factor);
        return TimeSpan.FromTicks(Math.Max(ticks, TimeSpan.TicksPerMillisecond));
    }
}
