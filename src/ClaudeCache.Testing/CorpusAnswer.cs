namespace ClaudeCache.Testing;

/// <summary>One answer of <see cref="AnswerCorpus"/>.</summary>
/// <param name="Name">The file name without extension, for example <c>market-analysis-03</c>.</param>
/// <param name="Category">The name without its number, for example <c>market-analysis</c>.</param>
/// <param name="Text">The answer's markdown text.</param>
public sealed record CorpusAnswer(string Name, string Category, string Text);
