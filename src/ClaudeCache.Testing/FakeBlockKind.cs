namespace ClaudeCache.Testing;

/// <summary>The kinds of content block the fake upstream can produce.</summary>
public enum FakeBlockKind
{
    Text,
    ToolUse,
    Thinking,
    RedactedThinking,
}
