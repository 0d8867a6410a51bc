using System.Text.Json;

namespace ClaudeCache.Anthropic;

/// <summary>
/// Reads the few fields the cache and the cost ledger need from a Message JSON, with a forward-only reader:
/// no document is built and the large <c>content</c> array is skipped, not parsed.
/// </summary>
/// <remarks>Invalid JSON throws <see cref="JsonException"/>; missing fields give null or 0.</remarks>
public static class MessageJson
{
    /// <summary>The resolved <c>model</c> id, or null.</summary>
    public static string? ReadModel(ReadOnlySpan<byte> messageJson) => ReadTopLevelString(messageJson, "model"u8);

    /// <summary>The <c>stop_reason</c>, or null.</summary>
    public static string? ReadStopReason(ReadOnlySpan<byte> messageJson) => ReadTopLevelString(messageJson, "stop_reason"u8);

    /// <summary>
    /// The <c>usage</c> counters. When <c>cache_creation</c> (the per-TTL split) is missing, every cache write is
    /// counted as 5-minute, the API's default TTL.
    /// </summary>
    public static TokenUsage ReadUsage(ReadOnlySpan<byte> messageJson) => ReadUsage(messageJson, out _);

    /// <summary>
    /// The <c>usage</c> counters and, from the same pass, <c>usage.inference_geo</c> (null when absent or not a
    /// string): pricing needs both, and one forward read of the Message is all it should cost.
    /// </summary>
    public static TokenUsage ReadUsage(ReadOnlySpan<byte> messageJson, out string? inferenceGeo)
    {
        inferenceGeo = null;
        var reader = new Utf8JsonReader(messageJson);
        if (!JsonReading.MoveToTopLevelProperty(ref reader, "usage"u8) || reader.TokenType != JsonTokenType.StartObject)
        {
            return default;
        }

        long input = 0, output = 0, cacheWrite = 0, cacheRead = 0, write5m = 0, write1h = 0;
        bool sawSplit = false;
        string? tier = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("input_tokens"u8))
            {
                input = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("output_tokens"u8))
            {
                output = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("cache_creation_input_tokens"u8))
            {
                cacheWrite = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("cache_read_input_tokens"u8))
            {
                cacheRead = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("service_tier"u8))
            {
                reader.Read();
                tier = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("inference_geo"u8))
            {
                reader.Read();
                inferenceGeo = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                reader.Skip(); // a value of another kind (an object, say) is skipped whole
            }
            else if (reader.ValueTextEquals("cache_creation"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                sawSplit = true;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("ephemeral_5m_input_tokens"u8))
                    {
                        write5m = ReadCount(ref reader);
                    }
                    else if (reader.ValueTextEquals("ephemeral_1h_input_tokens"u8))
                    {
                        write1h = ReadCount(ref reader);
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (!sawSplit)
        {
            write5m = cacheWrite;
        }

        return new TokenUsage(input, output, cacheWrite, cacheRead, write5m, write1h, tier);
    }

    private static string? ReadTopLevelString(ReadOnlySpan<byte> json, ReadOnlySpan<byte> name)
    {
        var reader = new Utf8JsonReader(json);
        return JsonReading.MoveToTopLevelProperty(ref reader, name) && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
    }

    // Null or a non-integer counts as 0: the ledger would rather undercount than fail a response.
    private static long ReadCount(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long value))
        {
            return value;
        }

        reader.Skip();
        return 0;
    }
}
