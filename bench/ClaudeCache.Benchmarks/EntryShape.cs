namespace ClaudeCache.Benchmarks;

/// <summary>The two realistic stored answers: a ~3 KB Message alone, or with the SSE stream it came from.</summary>
public enum EntryShape
{
    Json,
    Stream,
}
