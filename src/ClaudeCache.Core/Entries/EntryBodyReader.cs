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
    /// Parses <paramref name="body"/>, written by format <paramref name="version"/> (headers since version 4, when there are any).
    /// <see cref="CachedResponse.Body"/> and <see cref="CachedResponse.RawSse"/> are slices of <paramref name="body"/>,
    /// not copies: the hit path allocates the decompressed array once.
    /// </summary>
    internal static bool TryRead(byte[] body, byte version, out CachedResponse? response)
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
            || !TryReadBlock(body, ref position, out var sseStart, out var sseLength))
        {
            return false;
        }

        IReadOnlyList<KeyValuePair<string, string>> headers = [];
        if ((version >= 4 && position < body.Length && !TryReadHeaders(body, ref position, out headers)) || position != body.Length)
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
            Headers = headers,
        };
        return true;
    }

    private static bool IsValidTime(long unixMilliseconds) =>
        unixMilliseconds is >= MinUnixMilliseconds and <= MaxUnixMilliseconds;

    private static bool TryReadHeaders(byte[] body, ref int position, out IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        headers = [];
        if (!TryReadVarUInt32(body, ref position, out var count))
        {
            return false;
        }

        // The section is written only when there are headers; every pair takes at least two bytes, so a damaged count
        // fails here, not after a huge allocation.
        if (count == 0 || count > (uint)(body.Length - position) / 2)
        {
            return false;
        }

        var read = new KeyValuePair<string, string>[count];
        for (var i = 0; i < read.Length; i++)
        {
            if (!TryReadString(body, ref position, out var name) || name.Length == 0 || !TryReadString(body, ref position, out var value))
            {
                return false;
            }

            read[i] = new(name, value);
        }

        headers = read;
        return true;
    }

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
