namespace ClaudeCache.Caching;

/// <summary>One read from a <see cref="ChunkBuffer"/>.</summary>
/// <param name="Data">New bytes; empty at the end.</param>
/// <param name="IsCompleted">True when there is nothing more to read.</param>
/// <param name="Fault">Why the writer stopped early, when it did.</param>
public readonly record struct ChunkRead(ReadOnlyMemory<byte> Data, bool IsCompleted, Exception? Fault);
