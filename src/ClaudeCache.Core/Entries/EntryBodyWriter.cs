using System.Buffers.Binary;
using System.Text;

namespace ClaudeCache.Entries;

/// <summary>
/// Writes the uncompressed body of a stored entry: fixed-width fields first, then length-prefixed strings and
/// byte blocks (7-bit encoded lengths, as <see cref="BinaryWriter"/> writes them), then (since format version 4, and
/// only when there are any) the stored response headers. The order is part of the format; see <see cref="EntryCodec"/>.
/// </summary>
internal ref struct EntryBodyWriter
{
    private readonly Span<byte> _destination;
    private int _position;

    internal EntryBodyWriter(Span<byte> destination)
    {
        _destination = destination;
        _position = 0;
    }

    internal readonly int Position => _position;

    /// <summary>The exact number of bytes <see cref="Write"/> produces for <paramref name="response"/>.</summary>
    internal static int Measure(CachedResponse response)
    {
        long size = 1 + 1 + 8 + 8;
        size += MeasureBlock(Encoding.UTF8.GetByteCount(response.Model));
        size += MeasureBlock(Encoding.UTF8.GetByteCount(response.ContextType));
        size += MeasureBlock(Encoding.UTF8.GetByteCount(response.Namespace));
        size += MeasureBlock(response.Body.Length);
        size += MeasureBlock(response.RawSse.Length);
        if (response.Headers.Count > 0)
        {
            size += VarUInt32Length((uint)response.Headers.Count);
        }

        foreach (var (name, value) in response.Headers)
        {
            size += MeasureBlock(Encoding.UTF8.GetByteCount(name)) + MeasureBlock(Encoding.UTF8.GetByteCount(value));
        }

        return size <= EntryCodec.MaxBodyLength
            ? (int)size
            : throw new ArgumentException($"The entry is larger than {EntryCodec.MaxBodyLength} bytes.", nameof(response));
    }

    internal void Write(CachedResponse response)
    {
        _destination[_position++] = (byte)response.Kind;
        _destination[_position++] = (byte)response.Strategy;
        WriteInt64(response.CreatedAt.ToUnixTimeMilliseconds());
        WriteInt64(response.ExpiresAt.ToUnixTimeMilliseconds());
        WriteString(response.Model);
        WriteString(response.ContextType);
        WriteString(response.Namespace);
        WriteBlock(response.Body.Span);
        WriteBlock(response.RawSse.Span);
        if (response.Headers.Count == 0)
        {
            return;
        }

        WriteVarUInt32((uint)response.Headers.Count);
        foreach (var (name, value) in response.Headers)
        {
            WriteString(name);
            WriteString(value);
        }
    }

    private static long MeasureBlock(int length) => VarUInt32Length((uint)length) + (long)length;

    private static int VarUInt32Length(uint value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    private void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_destination[_position..], value);
        _position += 8;
    }

    private void WriteVarUInt32(uint value)
    {
        while (value >= 0x80)
        {
            _destination[_position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _destination[_position++] = (byte)value;
    }

    private void WriteString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt32((uint)length);
        _position += Encoding.UTF8.GetBytes(value, _destination.Slice(_position, length));
    }

    private void WriteBlock(ReadOnlySpan<byte> value)
    {
        WriteVarUInt32((uint)value.Length);
        value.CopyTo(_destination[_position..]);
        _position += value.Length;
    }
}
