namespace ClaudeCache.Testing;

/// <summary>A <c>cache_control</c> marker: the prefix block it ends, and its TTL.</summary>
/// <param name="Block">Index of the block in prefix order (tools, then system, then message content).</param>
/// <param name="OneHour">Whether the marker says <c>"ttl":"1h"</c> (otherwise 5 minutes).</param>
internal readonly record struct CacheBreakpoint(int Block, bool OneHour)
{
    public TimeSpan Ttl => OneHour ? TimeSpan.FromHours(1) : TimeSpan.FromMinutes(5);
}
