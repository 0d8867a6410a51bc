namespace ClaudeCache.Testing;

/// <summary>One content block of a scripted reply. Build it with the static factories.</summary>
public sealed record FakeBlock
{
    private FakeBlock(FakeBlockKind kind) => Kind = kind;

    /// <summary>Which kind of block this is; it says which of the other properties are set.</summary>
    public FakeBlockKind Kind { get; }

    /// <summary>Text of a text block.</summary>
    public string? TextValue { get; private init; }

    /// <summary>Id of a tool_use block (<c>toolu_…</c>).</summary>
    public string? Id { get; private init; }

    /// <summary>Tool name of a tool_use block.</summary>
    public string? Name { get; private init; }

    /// <summary>Tool input of a tool_use block, as a JSON object (written compact on the wire).</summary>
    public string? InputJson { get; private init; }

    /// <summary>Thinking text of a thinking block.</summary>
    public string? ThinkingValue { get; private init; }

    /// <summary>Signature of a thinking block.</summary>
    public string? Signature { get; private init; }

    /// <summary>Opaque data of a redacted_thinking block.</summary>
    public string? Data { get; private init; }

    /// <summary>A <c>text</c> block.</summary>
    public static FakeBlock Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new FakeBlock(FakeBlockKind.Text) { TextValue = text };
    }

    /// <summary>A <c>tool_use</c> block calling the tool <paramref name="name"/> with <paramref name="inputJson"/> (a JSON object) under the id <paramref name="id"/>.</summary>
    public static FakeBlock ToolUse(string id, string name, string inputJson)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(inputJson);
        return new FakeBlock(FakeBlockKind.ToolUse) { Id = id, Name = name, InputJson = inputJson };
    }

    /// <summary>A <c>thinking</c> block with its <paramref name="signature"/>.</summary>
    public static FakeBlock Thinking(string thinking, string signature)
    {
        ArgumentNullException.ThrowIfNull(thinking);
        ArgumentNullException.ThrowIfNull(signature);
        return new FakeBlock(FakeBlockKind.Thinking) { ThinkingValue = thinking, Signature = signature };
    }

    /// <summary>A <c>redacted_thinking</c> block carrying opaque <paramref name="data"/>.</summary>
    public static FakeBlock RedactedThinking(string data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new FakeBlock(FakeBlockKind.RedactedThinking) { Data = data };
    }
}
