using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;

namespace ClaudeCache.Anthropic;

/// <summary>
/// Whether parsed JSON text can be read as .NET strings. <see cref="Utf8JsonReader"/> accepts two things that
/// <see cref="JsonElement.GetString"/>, property names and every writer then refuse with an
/// <see cref="InvalidOperationException"/>: a raw byte that is not UTF-8, and a <c>\uD800</c>–<c>\uDFFF</c> escape
/// without its pair (a lone surrogate). Checked once over the raw text, so nothing downstream meets them.
/// </summary>
internal static class JsonWellFormedness
{
    private static readonly SearchValues<byte> s_backslash = SearchValues.Create("\\"u8);

    /// <summary>The problem with <paramref name="value"/>'s text, or null when every string in it can be read.</summary>
    public static string? Problem(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            return null;
        }

        return Problem(JsonMarshal.GetRawUtf8Value(value));
    }

    /// <summary>True when every string and property name of <paramref name="value"/> can be read.</summary>
    public static bool IsWellFormed(JsonElement value) => Problem(value) is null;

    /// <summary>
    /// The problem with raw JSON text that a <see cref="Utf8JsonReader"/> accepted, or null. Escapes only occur
    /// inside strings and property names (a backslash anywhere else is a syntax error), so a flat scan is exact.
    /// </summary>
    public static string? Problem(ReadOnlySpan<byte> raw)
    {
        // Both scans are vectorised: a valid body costs a fraction of parsing it.
        if (!Utf8.IsValid(raw))
        {
            return "The request body is not valid UTF-8.";
        }

        var i = raw.IndexOfAny(s_backslash);
        while (i >= 0 && i < raw.Length - 1)
        {
            if (raw[i + 1] != (byte)'u')
            {
                // \" \\ \/ \b \f \n \r \t: two bytes, never part of a surrogate.
                i += 2;
            }
            else
            {
                if (!TryReadEscape(raw, i, out var unit))
                {
                    return LoneSurrogate;
                }

                if (char.IsLowSurrogate(unit))
                {
                    return LoneSurrogate;
                }

                if (char.IsHighSurrogate(unit))
                {
                    if (!TryReadEscape(raw, i + 6, out var low) || !char.IsLowSurrogate(low))
                    {
                        return LoneSurrogate;
                    }

                    i += 12;
                }
                else
                {
                    i += 6;
                }
            }

            if (i >= raw.Length)
            {
                break;
            }

            var next = raw[i..].IndexOfAny(s_backslash);
            i = next < 0 ? -1 : i + next;
        }

        return null;
    }

    private const string LoneSurrogate =
        "The request body contains an unpaired UTF-16 surrogate escape (\\uD800-\\uDFFF without its pair); such text is not valid Unicode.";

    // \uXXXX at raw[at]; false when there is none (the reader has validated the digits of every escape it accepted).
    private static bool TryReadEscape(ReadOnlySpan<byte> raw, int at, out char unit)
    {
        unit = '\0';
        if (at + 6 > raw.Length || raw[at] != (byte)'\\' || raw[at + 1] != (byte)'u')
        {
            return false;
        }

        var value = 0;
        foreach (var b in raw.Slice(at + 2, 4))
        {
            var digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | digit;
        }

        unit = (char)value;
        return true;
    }
}
