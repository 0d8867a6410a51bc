using System.Globalization;
using System.Text.Json;

namespace ClaudeCache.Anthropic;

/// <summary>
/// Rejects request bodies the API would certainly reject, before anything is forwarded or keyed, with messages in
/// Anthropic's style (<c>field.path: problem</c>). Unknown fields pass: the upstream decides about those.
/// </summary>
public static class MessagesRequestValidator
{
    private const string FieldRequired = "Field required";
    private const string ValidString = "Input should be a valid string";
    private const string ValidList = "Input should be a valid list";
    private const string ValidDictionary = "Input should be a valid dictionary";
    private const string ValidInteger = "Input should be a valid integer";
    private const string ValidNumber = "Input should be a valid number";
    private const string ValidBoolean = "Input should be a valid boolean";
    private const string AtLeastZero = "Input should be greater than or equal to 0";

    /// <summary>Null when the body is acceptable; otherwise a message naming the offending field.</summary>
    public static string? Validate(JsonElement root, RequestEndpoint endpoint)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "Input should be a valid dictionary or object to extract fields from";
        }

        if (!root.TryGetProperty("model"u8, out JsonElement model))
        {
            return "model: " + FieldRequired;
        }

        if (model.ValueKind != JsonValueKind.String)
        {
            return "model: " + ValidString;
        }

        if (model.ValueEquals(""u8))
        {
            return "model: String should have at least 1 character";
        }

        string? problem = ValidateMessages(root);
        if (problem is not null)
        {
            return problem;
        }

        if (endpoint == RequestEndpoint.Messages)
        {
            if (!root.TryGetProperty("max_tokens"u8, out JsonElement maxTokens))
            {
                return "max_tokens: " + FieldRequired;
            }

            problem = CheckNonNegativeInteger(maxTokens, "max_tokens");
            if (problem is not null)
            {
                return problem;
            }
        }

        return ValidateOptionalFields(root);
    }

    /// <summary>True when the body asks for a stream (<c>"stream": true</c>; <c>false</c> and absent are the same).</summary>
    public static bool IsStreaming(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object
        && root.TryGetProperty("stream"u8, out JsonElement stream)
        && stream.ValueKind == JsonValueKind.True;

    private static string? ValidateMessages(JsonElement root)
    {
        if (!root.TryGetProperty("messages"u8, out JsonElement messages))
        {
            return "messages: " + FieldRequired;
        }

        if (messages.ValueKind != JsonValueKind.Array)
        {
            return "messages: " + ValidList;
        }

        int i = 0;
        foreach (JsonElement message in messages.EnumerateArray())
        {
            string? problem = ValidateMessage(message, i++);
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? ValidateMessage(JsonElement message, int i)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            return Path($"messages.{i}", ValidDictionary);
        }

        if (!message.TryGetProperty("role"u8, out JsonElement role))
        {
            return Path($"messages.{i}.role", FieldRequired);
        }

        if (role.ValueKind != JsonValueKind.String || !(role.ValueEquals("user"u8) || role.ValueEquals("assistant"u8)))
        {
            return Path($"messages.{i}.role", "Input should be 'user' or 'assistant'");
        }

        if (!message.TryGetProperty("content"u8, out JsonElement content))
        {
            return Path($"messages.{i}.content", FieldRequired);
        }

        return content.ValueKind switch
        {
            JsonValueKind.String => null,
            JsonValueKind.Array => ValidateBlocks(content, $"messages.{i}.content"),
            _ => Path($"messages.{i}.content", "Input should be a valid string or a valid list"),
        };
    }

    // Content and system blocks: objects, each with a string "type" (what the block is, the upstream checks).
    private static string? ValidateBlocks(JsonElement blocks, string path)
    {
        int j = 0;
        foreach (JsonElement block in blocks.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object)
            {
                return Path($"{path}.{j}", ValidDictionary);
            }

            if (!block.TryGetProperty("type"u8, out JsonElement type))
            {
                return Path($"{path}.{j}.type", FieldRequired);
            }

            if (type.ValueKind != JsonValueKind.String)
            {
                return Path($"{path}.{j}.type", ValidString);
            }

            j++;
        }

        return null;
    }

    private static string? ValidateOptionalFields(JsonElement root)
    {
        if (root.TryGetProperty("stream"u8, out JsonElement stream) && stream.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return "stream: " + ValidBoolean;
        }

        if (root.TryGetProperty("temperature"u8, out JsonElement temperature))
        {
            if (temperature.ValueKind != JsonValueKind.Number || !temperature.TryGetDouble(out double value))
            {
                return "temperature: " + ValidNumber;
            }

            if (value < 0)
            {
                return "temperature: " + AtLeastZero;
            }

            if (value > 1)
            {
                return "temperature: Input should be less than or equal to 1";
            }
        }

        if (root.TryGetProperty("top_p"u8, out JsonElement topP) && topP.ValueKind != JsonValueKind.Number)
        {
            return "top_p: " + ValidNumber;
        }

        if (root.TryGetProperty("top_k"u8, out JsonElement topK) && CheckNonNegativeInteger(topK, "top_k") is { } topKProblem)
        {
            return topKProblem;
        }

        if (root.TryGetProperty("stop_sequences"u8, out JsonElement stops) && CheckListOf(stops, "stop_sequences", JsonValueKind.String, ValidString) is { } stopsProblem)
        {
            return stopsProblem;
        }

        if (root.TryGetProperty("system"u8, out JsonElement system))
        {
            string? problem = system.ValueKind switch
            {
                JsonValueKind.String => null,
                JsonValueKind.Array => ValidateBlocks(system, "system"),
                _ => "system: Input should be a valid string or a valid list",
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        if (root.TryGetProperty("tools"u8, out JsonElement tools) && CheckListOf(tools, "tools", JsonValueKind.Object, ValidDictionary) is { } toolsProblem)
        {
            return toolsProblem;
        }

        if (root.TryGetProperty("metadata"u8, out JsonElement metadata) && metadata.ValueKind != JsonValueKind.Object)
        {
            return "metadata: " + ValidDictionary;
        }

        if (root.TryGetProperty("thinking"u8, out JsonElement thinking) && thinking.ValueKind != JsonValueKind.Object)
        {
            return "thinking: " + ValidDictionary;
        }

        return null;
    }

    private static string? CheckNonNegativeInteger(JsonElement value, string field)
    {
        // 1.5, "1" and true are not integers; 1e3 is not accepted either, since TryGetInt64 refuses it.
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long number))
        {
            return field + ": " + ValidInteger;
        }

        return number < 0 ? field + ": " + AtLeastZero : null;
    }

    // Error paths only: the allocation of a formatted path never happens for a valid request.
    private static string Path(FormattableString path, string problem) =>
        path.ToString(CultureInfo.InvariantCulture) + ": " + problem;

    /// <summary>A problem with a list whose every item must be of <paramref name="kind"/>, or null.</summary>
    private static string? CheckListOf(JsonElement list, string field, JsonValueKind kind, string itemMessage)
    {
        if (list.ValueKind != JsonValueKind.Array)
        {
            return field + ": " + ValidList;
        }

        int i = 0;
        foreach (JsonElement item in list.EnumerateArray())
        {
            if (item.ValueKind != kind)
            {
                return Path($"{field}.{i}", itemMessage);
            }

            i++;
        }

        return null;
    }
}
