using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using ClaudeCache.Anthropic;

namespace ClaudeCache.Keys;

/// <summary>
/// Writes JSON values in canonical form: object members sorted ordinally at every level, strings by their
/// unescaped value in one fixed escaping, numbers by value (<c>1.0</c> ≡ <c>1</c>). Whitespace never reaches the output.
/// Anything that cannot be normalised without risking two different values meeting is written as it came:
/// a missed equivalence costs a cache miss, a false one would serve the wrong answer.
/// </summary>
internal static class CanonicalJson
{
    /// <summary>A member of an object with its position, so duplicate names keep their input order.</summary>
    internal readonly record struct Member(string Name, JsonElement Value, int Position);

    // Ordinal by name, then by position: a stable order even for (invalid but parseable) duplicate names.
    private static readonly Comparison<Member> s_byName = static (a, b) =>
    {
        var byName = string.CompareOrdinal(a.Name, b.Name);
        return byName != 0 ? byName : a.Position.CompareTo(b.Position);
    };

    // An object wider than this gets an array of its own, not kept.
    private const int MaxKeptMembers = 1024;

    // Member arrays free for the next object, per thread: a stack as deep as the deepest object keyed on the thread.
    [ThreadStatic]
    private static Stack<Member[]>? t_freeMembers;

    /// <summary>A string longer than this (its JSON form) is hashed where it is rather than through the writer.</summary>
    internal const int HashedDirectlyBytes = 4 * 1024;

    // Bytes escaped at a time into the hasher's chunk (at most six times as many come out).
    private const int EscapeSliceBytes = 2 * 1024;

    // The key builder's writer on this thread and the hasher it writes to (CacheKeyBuilder.Scratch).
    [ThreadStatic]
    private static Utf8JsonWriter? t_hashedWriter;

    [ThreadStatic]
    private static HashingBufferWriter? t_hasher;

    // What a canonical string escapes: the quote, the backslash and the control characters.
    private static readonly SearchValues<byte> s_escaped = SearchValues.Create(
        [(byte)'"', (byte)'\\', .. Enumerable.Range(0, 0x20).Select(b => (byte)b)]);

    /// <summary>
    /// Writes <paramref name="value"/> canonically; text .NET cannot read as strings (invalid UTF-8, a lone surrogate
    /// escape) is written exactly as it came instead, so keying it never throws and never meets another value.
    /// </summary>
    public static void WriteValue(Utf8JsonWriter writer, JsonElement value)
    {
        if (!TryWriteAsItCame(writer, value))
        {
            WriteWellFormed(writer, value);
        }
    }

    /// <summary>
    /// True when <paramref name="value"/> holds a string that cannot be normalised, after writing its raw text.
    /// Canonical output never contains such bytes (the writer escapes only readable strings), so the raw form can
    /// equal nothing but the same raw text: a missed equivalence at worst, never a false one.
    /// </summary>
    public static bool TryWriteAsItCame(Utf8JsonWriter writer, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Undefined || JsonWellFormedness.IsWellFormed(value))
        {
            return false;
        }

        writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);
        return true;
    }

    /// <summary>Writes a value already checked with <see cref="TryWriteAsItCame"/> (every string in it readable).</summary>
    public static void WriteWellFormed(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var members = RentSortedMembers(value, out var count);
                try
                {
                    writer.WriteStartObject();
                    foreach (var member in members.AsSpan(0, count))
                    {
                        writer.WritePropertyName(member.Name);
                        WriteWellFormed(writer, member.Value);
                    }

                    writer.WriteEndObject();
                }
                finally
                {
                    ReturnMembers(members, count);
                }

                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteWellFormed(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.Number:
                WriteNumber(writer, value);
                break;
            case JsonValueKind.Undefined:
                writer.WriteNullValue();
                break;
            case JsonValueKind.String:
                WriteString(writer, value);
                break;
            default:
                // true, false, null as they are.
                value.WriteTo(writer);
                break;
        }
    }

    /// <summary>
    /// Writes a string by its value in one fixed escaping, the one <c>JSON.stringify</c> uses: <c>\"</c>, <c>\\</c>,
    /// <c>\b \f \n \r \t</c>, the other control characters as <c>\u00xx</c> (lower-case hex), everything else as its
    /// UTF-8 bytes. So <c>"\u0041"</c> and <c>"A"</c> agree, and a string already sent in that form — nearly every
    /// prompt byte, from any JSON serialiser — is copied as it came instead of being decoded and encoded again.
    /// </summary>
    /// <remarks>
    /// A string longer than <see cref="HashedDirectlyBytes"/> written by a writer bound to a hasher
    /// (<see cref="BindHasher"/>) never passes through the writer: its opening quote does (so the writer puts the
    /// separator before it and one after it, as for any value), then the writer is flushed and the rest is hashed where
    /// it is, or escaped a slice at a time. The bytes hashed are the same, without a buffer of the string's size.
    /// </remarks>
    public static void WriteString(Utf8JsonWriter writer, JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        var canonical = IsCanonical(raw);
        if (raw.Length > HashedDirectlyBytes && ReferenceEquals(writer, t_hashedWriter) && t_hasher is { } hasher)
        {
            writer.WriteRawValue("\""u8, skipInputValidation: true);
            writer.Flush();
            if (canonical)
            {
                // The value and its closing quote, as they came.
                hasher.Append(raw[1..]);
                return;
            }

            var unescaped = ArrayPool<byte>.Shared.Rent(raw.Length);
            try
            {
                var value8 = unescaped.AsSpan(0, Unescape(raw, unescaped));
                while (!value8.IsEmpty)
                {
                    // Each byte is escaped on its own (a multi-byte character passes as it is), so any slicing agrees.
                    var slice = value8[..Math.Min(EscapeSliceBytes, value8.Length)];
                    var output = hasher.GetSpan(slice.Length * 6);
                    hasher.Advance(EscapeBody(slice, output));
                    value8 = value8[slice.Length..];
                }

                hasher.Append("\""u8);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(unescaped);
            }

            return;
        }

        if (canonical)
        {
            writer.WriteRawValue(raw, skipInputValidation: true);
            return;
        }

        // Unescaped to UTF-8 (never longer than its JSON form), then escaped: at most six bytes per byte.
        var utf8 = ArrayPool<byte>.Shared.Rent(raw.Length);
        var escaped = ArrayPool<byte>.Shared.Rent((raw.Length * 6) + 2);
        try
        {
            var length = Unescape(raw, utf8);
            var written = Escape(utf8.AsSpan(0, length), escaped);
            writer.WriteRawValue(escaped.AsSpan(0, written), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
            ArrayPool<byte>.Shared.Return(escaped);
        }
    }

    /// <summary>
    /// Binds this thread's key writer to the hasher it writes to, so <see cref="WriteString"/> can hash a long string
    /// straight from the request (one binding per thread: the key builder's writer and hasher live as long as it).
    /// </summary>
    internal static void BindHasher(Utf8JsonWriter writer, HashingBufferWriter hasher)
    {
        t_hashedWriter = writer;
        t_hasher = hasher;
    }

    // A well-formed string's value as UTF-8, exactly the bytes of GetString's text (the same unescaping, no UTF-16).
    private static int Unescape(ReadOnlySpan<byte> raw, Span<byte> destination)
    {
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        return reader.CopyString(destination);
    }

    /// <summary>
    /// True when a raw JSON string (quotes included) is in the canonical escaping already: every escape is a short one
    /// other than <c>\/</c>, or <c>\u00xx</c> in lower case for a control character that has no short one.
    /// </summary>
    private static bool IsCanonical(ReadOnlySpan<byte> raw)
    {
        var rest = raw;
        int at;
        while ((at = rest.IndexOf((byte)'\\')) >= 0)
        {
            var escape = rest[at + 1];
            if (escape == (byte)'u')
            {
                var hex = rest.Slice(at + 2, 4);
                if (hex[0] != (byte)'0' || hex[1] != (byte)'0' || hex[2] is not ((byte)'0' or (byte)'1') || !IsLowerHex(hex[3]) || HasShortEscape(((hex[2] - '0') << 4) | HexValue(hex[3])))
                {
                    return false;
                }

                rest = rest[(at + 6)..];
            }
            else if (escape == (byte)'/')
            {
                return false;
            }
            else
            {
                rest = rest[(at + 2)..];
            }
        }

        return true;
    }

    private static bool IsLowerHex(byte b) => b is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f');

    private static int HexValue(byte b) => b <= (byte)'9' ? b - '0' : b - 'a' + 10;

    private static bool HasShortEscape(int c) => c is '\b' or '\f' or '\n' or '\r' or '\t';

    private static int Escape(ReadOnlySpan<byte> value, Span<byte> output)
    {
        output[0] = (byte)'"';
        var at = 1 + EscapeBody(value, output[1..]);
        output[at++] = (byte)'"';
        return at;
    }

    // The escaped value without its quotes; each byte independently of its neighbours.
    private static int EscapeBody(ReadOnlySpan<byte> value, Span<byte> output)
    {
        var at = 0;
        while (!value.IsEmpty)
        {
            var next = value.IndexOfAny(s_escaped);
            var plain = next < 0 ? value : value[..next];
            plain.CopyTo(output[at..]);
            at += plain.Length;
            if (next < 0)
            {
                break;
            }

            var b = value[next];
            output[at++] = (byte)'\\';
            var shortForm = b switch
            {
                (byte)'"' => (byte)'"',
                (byte)'\\' => (byte)'\\',
                (byte)'\b' => (byte)'b',
                (byte)'\f' => (byte)'f',
                (byte)'\n' => (byte)'n',
                (byte)'\r' => (byte)'r',
                (byte)'\t' => (byte)'t',
                _ => (byte)0,
            };
            if (shortForm != 0)
            {
                output[at++] = shortForm;
            }
            else
            {
                output[at++] = (byte)'u';
                output[at++] = (byte)'0';
                output[at++] = (byte)'0';
                output[at++] = HexDigit(b >> 4);
                output[at++] = HexDigit(b & 0xF);
            }

            value = value[(next + 1)..];
        }

        return at;
    }

    private static byte HexDigit(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    /// <summary>
    /// The object's members sorted by name, in an array of this thread's (one per nesting level, reused: the shared
    /// pool's bookkeeping cost more than the sorting); hand it back with <see cref="ReturnMembers"/>.
    /// </summary>
    public static Member[] RentSortedMembers(JsonElement obj, out int count)
    {
        count = obj.GetPropertyCount();
        var free = t_freeMembers ??= new Stack<Member[]>();
        var members = free.Count > 0 && free.Peek().Length >= count ? free.Pop() : new Member[Math.Max(16, (int)BitOperations.RoundUpToPowerOf2((uint)count))];
        var i = 0;
        foreach (var property in obj.EnumerateObject())
        {
            members[i] = new Member(property.Name, property.Value, i);
            i++;
        }

        members.AsSpan(0, count).Sort(s_byName);
        return members;
    }

    /// <summary>Clears the <paramref name="count"/> members (they hold the request's document) and keeps the array for reuse.</summary>
    public static void ReturnMembers(Member[] members, int count)
    {
        Array.Clear(members, 0, count);
        if (members.Length <= MaxKeptMembers)
        {
            (t_freeMembers ??= new Stack<Member[]>()).Push(members);
        }
    }

    /// <summary>True when <paramref name="value"/> is a number equal to <paramref name="expected"/>.</summary>
    public static bool NumberEquals(JsonElement value, decimal expected) =>
        value.ValueKind == JsonValueKind.Number && TryGetExactDecimal(value, out var d) && d == expected;

    private static void WriteNumber(Utf8JsonWriter writer, JsonElement value)
    {
        if (TryGetExactDecimal(value, out var d))
        {
            // Dividing by a one with 28 decimals drops trailing zeros: 1.50 → 1.5, 1.0 → 1.
            writer.WriteNumberValue(d / 1.0000000000000000000000000000m);
        }
        else
        {
            writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);
        }
    }

    // decimal holds 28 significant digits exactly; larger or tinier numbers could round into each other,
    // so those are only accepted when nothing can have been lost.
    private static bool TryGetExactDecimal(JsonElement value, out decimal result)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        var exponentAt = raw.IndexOfAny((byte)'e', (byte)'E');
        var significand = exponentAt < 0 ? raw : raw[..exponentAt];
        var digits = 0;
        var nonZeroDigit = false;
        foreach (var b in significand)
        {
            if (b is >= (byte)'0' and <= (byte)'9')
            {
                digits++;
                nonZeroDigit |= b != (byte)'0';
            }
        }

        if (digits > 28 || !value.TryGetDecimal(out result))
        {
            result = 0;
            return false;
        }

        if (exponentAt < 0)
        {
            return true;
        }

        // With an exponent the parse may underflow or round: 1e-30 parses as 0. Keep only values whose
        // digits all fit within decimal's 28 places.
        if (result == 0)
        {
            return !nonZeroDigit;
        }

        return digits <= 15 && Math.Abs(result) >= 0.000000000001m;
    }
}
