using System.Runtime.InteropServices;
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
    private const string NoTag = "Unable to extract tag using discriminator 'type'";

    /// <summary>Null when the body is acceptable; otherwise a message naming the offending field.</summary>
    public static string? Validate(JsonElement root, RequestEndpoint endpoint)
    {
        // First, and over the whole text: a string .NET cannot read (invalid UTF-8, a lone surrogate escape) would
        // otherwise throw wherever it is read next — the policy's content rules, the key, the upstream call.
        if (JsonWellFormedness.Problem(root) is { } malformed)
        {
            return malformed;
        }

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

        if (root.TryGetProperty("temperature"u8, out JsonElement temperature) && CheckUnitInterval(temperature, "temperature") is { } temperatureProblem)
        {
            return temperatureProblem;
        }

        if (root.TryGetProperty("top_p"u8, out JsonElement topP) && CheckUnitInterval(topP, "top_p") is { } topPProblem)
        {
            return topPProblem;
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

        if (root.TryGetProperty("tools"u8, out JsonElement tools) && CheckTools(tools) is { } toolsProblem)
        {
            return toolsProblem;
        }

        if (root.TryGetProperty("tool_choice"u8, out JsonElement toolChoice) && CheckToolChoice(toolChoice) is { } toolChoiceProblem)
        {
            return toolChoiceProblem;
        }

        if (root.TryGetProperty("metadata"u8, out JsonElement metadata) && CheckMetadata(metadata) is { } metadataProblem)
        {
            return metadataProblem;
        }

        if (root.TryGetProperty("thinking"u8, out JsonElement thinking) && CheckThinking(thinking) is { } thinkingProblem)
        {
            return thinkingProblem;
        }

        return null;
    }

    // temperature and top_p: numbers in [0, 1].
    private static string? CheckUnitInterval(JsonElement value, string field)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double number))
        {
            return field + ": " + ValidNumber;
        }

        if (number < 0)
        {
            return field + ": " + AtLeastZero;
        }

        return number > 1 ? field + ": Input should be less than or equal to 1" : null;
    }

    // The API allows user_id only (a string, or null for none); anything else is "Extra inputs are not permitted".
    private static string? CheckMetadata(JsonElement metadata)
    {
        if (metadata.ValueKind != JsonValueKind.Object)
        {
            return "metadata: " + ValidDictionary;
        }

        foreach (JsonProperty property in metadata.EnumerateObject())
        {
            if (!property.NameEquals("user_id"u8))
            {
                return "metadata." + property.Name + ": Extra inputs are not permitted";
            }

            if (property.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                return "metadata.user_id: " + ValidString;
            }
        }

        return null;
    }

    // enabled (with a budget of at least 1024 tokens), disabled or adaptive. The budget is not compared with
    // max_tokens here: with the interleaved-thinking beta (a header this validator does not see) it may exceed it.
    private static string? CheckThinking(JsonElement thinking)
    {
        const string Tags = "'enabled', 'disabled', 'adaptive'";
        if (thinking.ValueKind != JsonValueKind.Object)
        {
            return "thinking: " + ValidDictionary;
        }

        if (!thinking.TryGetProperty("type"u8, out JsonElement type))
        {
            return "thinking: " + NoTag;
        }

        if (type.ValueKind != JsonValueKind.String)
        {
            return TagMismatch("thinking", type, Tags);
        }

        if (type.ValueEquals("disabled"u8) || type.ValueEquals("adaptive"u8))
        {
            return null;
        }

        if (!type.ValueEquals("enabled"u8))
        {
            return TagMismatch("thinking", type, Tags);
        }

        if (!thinking.TryGetProperty("budget_tokens"u8, out JsonElement budget))
        {
            return "thinking.enabled.budget_tokens: " + FieldRequired;
        }

        if (budget.ValueKind != JsonValueKind.Number || !budget.TryGetInt64(out long tokens))
        {
            return "thinking.enabled.budget_tokens: " + ValidInteger;
        }

        return tokens < 1024 ? "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024" : null;
    }

    // Custom tools (no type, or "custom") need a name and an input schema. Server tools (web_search_20250305,
    // bash_20250124, mcp_toolset, ...) carry a string type and fields of their own, which the upstream checks.
    private static string? CheckTools(JsonElement tools)
    {
        if (tools.ValueKind != JsonValueKind.Array)
        {
            return "tools: " + ValidList;
        }

        int i = 0;
        foreach (JsonElement tool in tools.EnumerateArray())
        {
            string? problem = CheckTool(tool, i++);
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? CheckTool(JsonElement tool, int i)
    {
        if (tool.ValueKind != JsonValueKind.Object)
        {
            return Path($"tools.{i}", ValidDictionary);
        }

        if (tool.TryGetProperty("type"u8, out JsonElement type))
        {
            if (type.ValueKind != JsonValueKind.String)
            {
                return Path($"tools.{i}.type", ValidString);
            }

            if (!type.ValueEquals("custom"u8))
            {
                return null;
            }
        }

        if (!tool.TryGetProperty("name"u8, out JsonElement name))
        {
            return Path($"tools.{i}.name", FieldRequired);
        }

        if (name.ValueKind != JsonValueKind.String)
        {
            return Path($"tools.{i}.name", ValidString);
        }

        if (!tool.TryGetProperty("input_schema"u8, out JsonElement schema))
        {
            return Path($"tools.{i}.input_schema", FieldRequired);
        }

        return schema.ValueKind != JsonValueKind.Object ? Path($"tools.{i}.input_schema", ValidDictionary) : null;
    }

    // {"type": "auto" | "any" | "none"} or {"type": "tool", "name": ...}; disable_parallel_tool_use is a boolean.
    private static string? CheckToolChoice(JsonElement choice)
    {
        const string Tags = "'auto', 'any', 'tool', 'none'";
        if (choice.ValueKind != JsonValueKind.Object)
        {
            return "tool_choice: Input should be a valid dictionary or object to extract fields from";
        }

        if (!choice.TryGetProperty("type"u8, out JsonElement type))
        {
            return "tool_choice: " + NoTag;
        }

        if (type.ValueKind != JsonValueKind.String
            || !(type.ValueEquals("auto"u8) || type.ValueEquals("any"u8) || type.ValueEquals("tool"u8) || type.ValueEquals("none"u8)))
        {
            return TagMismatch("tool_choice", type, Tags);
        }

        if (type.ValueEquals("tool"u8))
        {
            if (!choice.TryGetProperty("name"u8, out JsonElement name))
            {
                return "tool_choice.tool.name: " + FieldRequired;
            }

            if (name.ValueKind != JsonValueKind.String)
            {
                return "tool_choice.tool.name: " + ValidString;
            }
        }

        if (choice.TryGetProperty("disable_parallel_tool_use"u8, out JsonElement disable)
            && disable.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return "tool_choice." + type.GetString() + ".disable_parallel_tool_use: " + ValidBoolean;
        }

        return null;
    }

    // Error paths only. The tag is quoted as sent: a string's value, anything else as its JSON text.
    // An error echoes at most this much of what it names: a 30 MB tag must not come back in a 400.
    private const int MaxEchoedChars = 100;

    private static string TagMismatch(string field, JsonElement type, string expected)
    {
        var raw = JsonMarshal.GetRawUtf8Value(type);
        string tag = raw.Length > MaxEchoedChars * 4
            ? "(" + raw.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes)"
            : type.ValueKind == JsonValueKind.String ? type.GetString()! : type.GetRawText();
        if (tag.Length > MaxEchoedChars)
        {
            tag = tag[..MaxEchoedChars] + "…";
        }

        return $"{field}: Input tag '{tag}' found using 'type' does not match any of the expected tags: {expected}";
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
