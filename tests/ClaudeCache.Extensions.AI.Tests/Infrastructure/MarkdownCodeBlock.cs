namespace ClaudeCache.Extensions.AI.Tests.Infrastructure;

/// <summary>
/// One fenced code block of a Markdown file: <paramref name="File"/> relative to the repository root,
/// <paramref name="Line"/> the 1-based line of its opening fence, <paramref name="Language"/> the fence's info
/// word in lower case ("" when it has none), <paramref name="Code"/> its lines without the fence's indentation.
/// </summary>
public sealed record MarkdownCodeBlock(string File, int Line, string Language, string Code)
{
    /// <summary>Where the block is, as an editor opens it: <c>docs/library.md:33</c>.</summary>
    public string Location => $"{File}:{Line}";

    /// <summary>The line of the file that holds line <paramref name="codeLine"/> (1-based) of <see cref="Code"/>.</summary>
    public int FileLine(int codeLine) => Line + codeLine;

    /// <inheritdoc />
    public override string ToString() => Location;
}
