namespace ClaudeCache.Testing;

/// <summary>The kinds of content block the fake upstream can produce.</summary>
public enum FakeBlockKind
{
    /// <summary>A <c>text</c> block (<see cref="FakeBlock.Text"/>).</summary>
    Text,
    /// <summary>A <c>tool_use</c> block (<see cref="FakeBlock.ToolUse"/>).</summary>
    ToolUse,
    /// <summary>A <c>thinking</c> block (<see cref="FakeBlock.Thinking"/>).</summary>
    Thinking,
    /// <summary>A <c>redacted_thinking</c> block (<see cref="FakeBlock.RedactedThinking"/>).</summary>
    RedactedThinking,
}
