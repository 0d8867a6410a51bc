namespace ClaudeCache.Costs;

/// <summary>A latency histogram bucket: how many hits (or misses) of one minute fell into one slot.</summary>
/// <param name="Minute">Minutes since the Unix epoch.</param>
/// <param name="Class"><c>hit</c> or <c>miss</c> (every request that went upstream).</param>
/// <param name="Slot">Index into <see cref="LatencySlots.UpperBoundsMs"/>.</param>
/// <param name="Count">Requests.</param>
public readonly record struct LatencyRow(long Minute, string Class, int Slot, long Count);
