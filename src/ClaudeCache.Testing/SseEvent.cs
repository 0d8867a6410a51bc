namespace ClaudeCache.Testing;

/// <summary>One server-sent event before framing: its name and its compact JSON data.</summary>
internal readonly record struct SseEvent(string Name, byte[] Data)
{
    public bool IsPing => string.Equals(Name, "ping", StringComparison.Ordinal);
}
