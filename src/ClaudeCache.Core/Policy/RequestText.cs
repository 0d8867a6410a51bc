using System.Text.Json;

namespace ClaudeCache.Policy;

/// <summary>The texts content rules look at: the system prompt's and the last user turn's.</summary>
internal readonly struct RequestText
{
    private RequestText(List<string> system, List<string> lastUserTurn)
    {
        System = system;
        LastUserTurn = lastUserTurn;
    }

    /// <summary>The system prompt: the string, or each text block.</summary>
    public List<string> System { get; }

    /// <summary>The text blocks of the last user message that has text.</summary>
    public List<string> LastUserTurn { get; }

    public static RequestText From(JsonElement body)
    {
        var system = new List<string>(1);
        var user = new List<string>(1);
        if (body.ValueKind != JsonValueKind.Object)
        {
            return new RequestText(system, user);
        }

        if (body.TryGetProperty("system", out var systemPrompt))
        {
            AddTexts(systemPrompt, system);
        }

        if (body.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            // In a tool loop the newest user turns hold only tool results; the question that drives the loop is
            // the last user turn with text. Forward, because indexing a JsonElement array from the end is O(n).
            JsonElement? lastWithText = null;
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind == JsonValueKind.Object
                    && message.TryGetProperty("role", out var role)
                    && role.ValueEquals("user")
                    && message.TryGetProperty("content", out var content)
                    && HasText(content))
                {
                    lastWithText = content;
                }
            }

            if (lastWithText is { } turn)
            {
                AddTexts(turn, user);
            }
        }

        return new RequestText(system, user);
    }

    private static bool HasText(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return true;
        }

        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                if (TryGetBlockText(block, out _))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static void AddTexts(JsonElement content, List<string> texts)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            texts.Add(content.GetString()!);
            return;
        }

        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                if (TryGetBlockText(block, out var text))
                {
                    texts.Add(text.GetString()!);
                }
            }
        }
    }

    private static bool TryGetBlockText(JsonElement block, out JsonElement text)
    {
        text = default;
        return block.ValueKind == JsonValueKind.Object
            && block.TryGetProperty("type", out var type)
            && type.ValueEquals("text")
            && block.TryGetProperty("text", out text)
            && text.ValueKind == JsonValueKind.String;
    }
}
