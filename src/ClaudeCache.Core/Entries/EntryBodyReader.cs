using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using ClaudeCache.Policy;

namespace ClaudeCache.Entries;

/// <summary>
/// Reads what <see cref="EntryBodyWriter"/> wrote. Every read is bounds-checked and returns false on malformed
/// input instead of throwing: a damaged entry is a miss, not an error.
/// </summary>
internal static class EntryBodyReader
{
    private const long MinUnixMilliseconds = -62_135_596_800_000; // 0001-01-01T00:00:00Z
    private const long MaxUnixMilliseconds = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

    /// <summary>
    /// Parses <paramref name="body"/>. <see cref="CachedResponse.Body"/> and <see cref="CachedResponse.RawSse"/>
    /// are slices of <paramref name="body"/>, not copies: the hit path allocates the decompressed array once.
    /// </summary>
    internal static bool TryRead(byte[] body, out CachedResponse? response)
    {
        response = null;
        var position = 0;
        if (body.Length < 18)
        {
            return false;
        }

        var kind = (ResponseKind)body[position++];
        var strategy = (CacheStrategy)body[position++];
        if (!Enum.IsDefined(kind) || !Enum.IsDefined(strategy))
        {
            return false;
        }

        var created = BinaryPrimitives.ReadInt64LittleEndian(body.AsSpan(position));
        position += 8;
        var expires = BinaryPrimitives.ReadInt64LittleEndian(body.AsSpan(position));
        position += 8;
        if (!IsValidTime(created) || !IsValidTime(expires))
        {
            return false;
        }

        if (!TryReadString(body, ref position, out var model)
            || !TryReadString(body, ref position, out var contextType)
            || !TryReadString(body, ref position, out var ns)
            || !TryReadBlock(body, ref position, out var start, out var length)
            || !TryReadBlock(body, ref position, out var sseStart, out var sseLength)
            || position != body.Length)
        {
            return false;
        }

        response = new CachedResponse
        {
            Kind = kind,
            Strategy = strategy,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(created),
            ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(expires),
            Model = model,
            ContextType = contextType,
            Namespace = ns,
            Body = new ReadOnlyMemory<byte>(body, start, length),
            RawSse = sseLength == 0 ? ReadOnlyMemory<byte>.Empty : new ReadOnlyMemory<byte>(body, sseStart, sseLength),
        };
        return true;
    }

    private static bool IsValidTime(long unixMilliseconds) =>
        unixMilliseconds is >= MinUnixMilliseconds and <= MaxUnixMilliseconds;

    private static bool TryReadString(byte[] body, ref int position, out string value)
    {
        value = "";
        if (!TryReadBlock(body, ref position, out var start, out var length))
        {
            return false;
        }

        var bytes = body.AsSpan(start, length);
        if (!Utf8.IsValid(bytes))
        {
            return false;
        }

        value = length == 0 ? "" : Encoding.UTF8.GetString(bytes);
        return true;
    }

    private static bool TryReadBlock(byte[] body, ref int position, out int start, out int length)
    {
        start = 0;
        length = 0;
        if (!TryReadVarUInt32(body, ref position, out var declared) || declared > (uint)(body.Length - position))
        {
            return false;
        }

        start = position;
        length = (int)declared;
        position += length;
        return true;
    }

    private static bool TryReadVarUInt32(byte[] body, ref int position, out uint value)
    {
        value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (position >= body.Length)
            {
                return false;
            }

            var b = body[position++];
            if (shift == 28 && b > 0x0F)
            {
                return false; // more than 32 bits
            }

            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
