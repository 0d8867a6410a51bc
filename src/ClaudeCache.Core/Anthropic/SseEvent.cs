namespace ClaudeCache.Anthropic;

/// <summary>
/// One server-sent event: its name, its data payload, and where its bytes lie in the buffer it was read from,
/// so a stored stream can be replayed event by event without re-serialising anything.
/// </summary>
/// <remarks>
/// From <see cref="SseEventParser.TryRead(out SseEvent)"/>, <see cref="Data"/> points into the parser's buffer
/// and is valid only until the next <see cref="SseEventParser.Append(ReadOnlySpan{byte})"/>; from
/// <see cref="SseEventParser.ParseAll(ReadOnlyMemory{byte})"/> it points into the stored stream itself.
/// </remarks>
public readonly struct SseEvent
{
    /// <summary>Creates an event.</summary>
    public SseEvent(string name, ReadOnlyMemory<byte> data, int rawStart, int rawLength)
    {
        Name = name;
        Data = data;
        RawStart = rawStart;
        RawLength = rawLength;
    }

    /// <summary>The value of the <c>event:</c> line (the SDKs dispatch on it), or empty when there was none.</summary>
    public string Name { get; }

    /// <summary>The <c>data:</c> payload exactly as sent, padding spaces included, without the line ending.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>
    /// Offset of the event's first byte: in the stored stream for <see cref="SseEventParser.ParseAll(ReadOnlyMemory{byte})"/>,
    /// in the concatenation of every appended chunk for the incremental parser.
    /// </summary>
    public int RawStart { get; }

    /// <summary>Length of the event's bytes, its terminating blank line included.</summary>
    public int RawLength { get; }

    /// <summary>Offset just past the event's terminating blank line.</summary>
    public int RawEnd => RawStart + RawLength;
}
