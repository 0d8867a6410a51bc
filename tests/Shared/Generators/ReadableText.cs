using System.Text;
using System.Text.Json;

namespace ClaudeCache.Tests.Shared.Generators;

/// <summary>
/// The generated-input tests' oracle, independent of the product's validator: a body is readable when every string
/// and property name in it reads back as text (no lone surrogate, no byte that is not UTF-8).
/// </summary>
internal static class ReadableText
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Whether every string and property name under <paramref name="value"/> reads back as text.</summary>
    public static bool EveryStringReadable(JsonElement value)
    {
        try
        {
            Walk(value);
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or EncoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="body"/> parses as JSON and every string in it reads back as text.</summary>
    public static bool ParsesWithReadableText(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return EveryStringReadable(document.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void Walk(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                _ = Strict.GetByteCount(value.GetString()!);
                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    Walk(item);
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    _ = Strict.GetByteCount(property.Name);
                    Walk(property.Value);
                }

                break;
        }
    }
}
