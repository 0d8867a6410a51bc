namespace ClaudeCache.Anthropic;

/// <summary>
/// Splits <c>text/event-stream</c> bytes into events, incrementally (<see cref="Append(ReadOnlySpan{byte})"/> then
/// <see cref="TryRead(out SseEvent)"/>) while a stream passes through, or all at once over a stored stream
/// (<see cref="ParseAll(ReadOnlyMemory{byte})"/>).
/// </summary>
/// <remarks>
/// Events end at a blank line (<c>\n\n</c>; <c>\r\n</c> line endings are tolerated). Event ranges are contiguous:
/// stray blank or comment-only blocks are folded into the next event's range, so the ranges plus
/// <see cref="TrailingBytes"/> always cover every byte, which is what a byte-identical replay needs.
/// </remarks>
public sealed class SseEventParser
{
    private byte[] _buffer;
    private int _start;
    private int _end;

    // Absolute stream offset of _buffer[0]; moves when the buffer is compacted.
    private int _offset;

    // A long data line may arrive in many chunks: remember how far the last unfinished line was searched for
    // '\n', so each TryRead scans only new bytes instead of the whole line again (absolute offsets).
    private int _hintLineStart = -1;
    private int _hintSearchFrom;

    /// <summary>Creates a parser with a buffer of <paramref name="initialCapacity"/> bytes (it grows as needed).</summary>
    public SseEventParser(int initialCapacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialCapacity);
        _buffer = new byte[initialCapacity];
    }

    /// <summary>Bytes appended but not yet part of a complete event (after the last complete one).</summary>
    public int TrailingBytes => _end - _start;

    /// <summary>Every byte appended so far.</summary>
    public int TotalBytes => _offset + _end;

    /// <summary>Adds the next chunk of the stream. Invalidates the <see cref="SseEvent.Data"/> of events read before.</summary>
    public void Append(ReadOnlySpan<byte> chunk)
    {
        if (chunk.IsEmpty)
        {
            return;
        }

        if (chunk.Length > _buffer.Length - _end)
        {
            MakeRoom(chunk.Length);
        }

        chunk.CopyTo(_buffer.AsSpan(_end));
        _end += chunk.Length;
    }

    /// <summary>Returns the next complete event, in stream order; false when more bytes are needed.</summary>
    public bool TryRead(out SseEvent e)
    {
        var window = new ReadOnlyMemory<byte>(_buffer, 0, _end);
        if (!TryParseNext(window, _start, _offset, ref _hintLineStart, ref _hintSearchFrom, out e, out int next))
        {
            return false;
        }

        _start = next;
        if (_start == _end)
        {
            // Nothing pending: restart at the front so the buffer never needs compacting in the common case.
            _offset += _end;
            _start = 0;
            _end = 0;
        }

        return true;
    }

    /// <summary>Splits a complete stored stream; event ranges index into <paramref name="raw"/>.</summary>
    public static IReadOnlyList<SseEvent> ParseAll(ReadOnlyMemory<byte> raw) => ParseAll(raw, out _);

    /// <summary>
    /// Splits a complete stored stream; event ranges index into <paramref name="raw"/>, and
    /// <paramref name="trailingBytes"/> counts the bytes after the last complete event (0 for a well-formed stream).
    /// </summary>
    public static IReadOnlyList<SseEvent> ParseAll(ReadOnlyMemory<byte> raw, out int trailingBytes)
    {
        // Real events are rarely shorter than ~60 bytes; a close guess avoids most list regrowth.
        var events = new List<SseEvent>(Math.Max(4, raw.Length / 96));
        int position = 0;
        int hintLineStart = -1;
        int hintSearchFrom = 0;
        while (TryParseNext(raw, position, 0, ref hintLineStart, ref hintSearchFrom, out SseEvent e, out int next))
        {
            events.Add(e);
            position = next;
        }

        trailingBytes = raw.Length - position;
        return events;
    }

    private void MakeRoom(int needed)
    {
        int pending = _end - _start;
        byte[] target = _buffer;
        if (pending + needed > _buffer.Length)
        {
            target = new byte[Math.Max(_buffer.Length * 2, pending + needed)];
        }

        // Span.CopyTo is a memmove, so compacting within the same array is safe.
        _buffer.AsSpan(_start, pending).CopyTo(target);
        _offset += _start;
        _buffer = target;
        _start = 0;
        _end = pending;
    }

    private static bool TryParseNext(
        ReadOnlyMemory<byte> window,
        int from,
        int baseOffset,
        ref int hintLineStart,
        ref int hintSearchFrom,
        out SseEvent e,
        out int next)
    {
        ReadOnlySpan<byte> span = window.Span;
        string? name = null;
        ReadOnlyMemory<byte> data = default;
        bool hasData = false;
        int lineStart = from;

        while (true)
        {
            int searchFrom = lineStart;
            if (baseOffset + lineStart == hintLineStart)
            {
                searchFrom = Math.Max(lineStart, hintSearchFrom - baseOffset);
            }

            int newline = span[searchFrom..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                hintLineStart = baseOffset + lineStart;
                hintSearchFrom = baseOffset + span.Length;
                e = default;
                next = from;
                return false;
            }

            int lineEnd = searchFrom + newline;
            int contentEnd = lineEnd > lineStart && span[lineEnd - 1] == (byte)'\r' ? lineEnd - 1 : lineEnd;
            ReadOnlySpan<byte> line = span[lineStart..contentEnd];
            int valueOffset = lineStart;
            lineStart = lineEnd + 1;

            if (line.IsEmpty)
            {
                if (name is null && !hasData)
                {
                    continue; // a stray blank line: it joins the next event's range
                }

                next = lineStart;
                e = new SseEvent(name ?? "", data, baseOffset + from, lineStart - from);
                return true;
            }

            if (line[0] == (byte)':')
            {
                continue; // a comment line
            }

            int colon = line.IndexOf((byte)':');
            ReadOnlySpan<byte> field = colon < 0 ? line : line[..colon];
            int valueStart = colon < 0 ? line.Length : colon + 1;
            if (valueStart < line.Length && line[valueStart] == (byte)' ')
            {
                valueStart++;
            }

            if (field.SequenceEqual("event"u8))
            {
                name = SseEventNames.FromUtf8(line[valueStart..]);
            }
            else if (field.SequenceEqual("data"u8))
            {
                ReadOnlyMemory<byte> value = window.Slice(valueOffset + valueStart, line.Length - valueStart);
                data = hasData ? JoinDataLines(data, value) : value;
                hasData = true;
            }
        }
    }

    // The SSE spec joins several data lines with '\n'. Anthropic never sends more than one, so this may allocate.
    private static byte[] JoinDataLines(ReadOnlyMemory<byte> first, ReadOnlyMemory<byte> second)
    {
        var joined = new byte[first.Length + 1 + second.Length];
        first.Span.CopyTo(joined);
        joined[first.Length] = (byte)'\n';
        second.Span.CopyTo(joined.AsSpan(first.Length + 1));
        return joined;
    }
}
