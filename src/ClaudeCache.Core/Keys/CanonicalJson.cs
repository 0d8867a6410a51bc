using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using ClaudeCache.Anthropic;

namespace ClaudeCache.Keys;

/// <summary>
/// Writes JSON values in canonical form: object members sorted ordinally at every level, strings re-encoded
/// from their unescaped value, numbers by value (<c>1.0</c> ≡ <c>1</c>). Whitespace never reaches the output.
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
                    ReturnMembers(members);
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
            default:
                // Strings are unescaped and re-encoded by WriteTo, so "\u0041" and "A" agree; true/false/null as is.
                value.WriteTo(writer);
                break;
        }
    }

    /// <summary>The object's members sorted by name, in a pooled array; hand it back with <see cref="ReturnMembers"/>.</summary>
    public static Member[] RentSortedMembers(JsonElement obj, out int count)
    {
        count = obj.GetPropertyCount();
        var members = ArrayPool<Member>.Shared.Rent(Math.Max(count, 1));
        var i = 0;
        foreach (var property in obj.EnumerateObject())
        {
            members[i] = new Member(property.Name, property.Value, i);
            i++;
        }

        members.AsSpan(0, count).Sort(s_byName);
        return members;
    }

    public static void ReturnMembers(Member[] members) =>
        ArrayPool<Member>.Shared.Return(members, clearArray: true);

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
