namespace ClaudeCache.Policy;

/// <summary>Which text of a request a <see cref="ContentRule"/> is matched against.</summary>
public enum ContentScope
{
    /// <summary>The system prompt or the last user turn.</summary>
    Either,

    /// <summary>The system prompt's text.</summary>
    System,

    /// <summary>The text of the last user turn that has text (tool-result-only turns are skipped).</summary>
    LastUserTurn,
}
