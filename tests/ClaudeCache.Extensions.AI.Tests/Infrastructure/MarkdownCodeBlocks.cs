using System.Text;
using System.Text.RegularExpressions;

namespace ClaudeCache.Extensions.AI.Tests.Infrastructure;

/// <summary>
/// The fenced code blocks of the documentation a user reads — README.md, docs/**/*.md and the packages' and
/// samples' README.md files — read from the working tree each run, so a block added later is checked too.
/// </summary>
public static partial class MarkdownCodeBlocks
{
    /// <summary>Every block of every documentation file, in file order.</summary>
    public static IReadOnlyList<MarkdownCodeBlock> All { get; } = DocumentationFiles().SelectMany(Read).ToList();

    /// <summary>The blocks whose language is one of <paramref name="languages"/>.</summary>
    public static IEnumerable<MarkdownCodeBlock> InLanguages(params string[] languages) =>
        All.Where(b => languages.Contains(b.Language, StringComparer.Ordinal));

    /// <summary>The block at <paramref name="location"/> (<see cref="MarkdownCodeBlock.Location"/>).</summary>
    public static MarkdownCodeBlock At(string location) => All.Single(b => b.Location == location);

    /// <summary>The fenced blocks of one Markdown text; <paramref name="file"/> only names them.</summary>
    public static IEnumerable<MarkdownCodeBlock> Parse(string file, string markdown)
    {
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var open = Fence().Match(lines[i]);
            if (!open.Success)
            {
                continue;
            }

            var indent = open.Groups["indent"].Length;
            var fence = open.Groups["fence"].Value;
            var code = new StringBuilder();
            var j = i + 1;
            for (; j < lines.Length && !IsClosing(lines[j], fence); j++)
            {
                var line = lines[j];
                var strip = Math.Min(indent, line.Length - line.TrimStart(' ').Length);
                code.Append(line.AsSpan(strip)).Append('\n');
            }

            yield return new MarkdownCodeBlock(file, i + 1, open.Groups["info"].Value.ToLowerInvariant(), code.ToString());
            i = j;
        }
    }

    private static bool IsClosing(string line, string fence)
    {
        var trimmed = line.Trim();
        return trimmed.Length >= fence.Length && trimmed.All(c => c == fence[0]);
    }

    private static IEnumerable<MarkdownCodeBlock> Read(string path) =>
        Parse(Path.GetRelativePath(RepositoryPaths.Root, path).Replace('\\', '/'), File.ReadAllText(path));

    private static IEnumerable<string> DocumentationFiles()
    {
        var root = RepositoryPaths.Root;
        yield return Path.Combine(root, "README.md");
        foreach (var folder in new[] { "docs", "src", "samples" })
        {
            var options = new EnumerationOptions { RecurseSubdirectories = true, MatchCasing = MatchCasing.CaseSensitive };
            var pattern = folder == "docs" ? "*.md" : "README.md";
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), pattern, options)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal))
            {
                yield return file;
            }
        }
    }

    /// <summary>An opening fence: up to any indentation (blocks inside list items), three or more backticks or tildes, an info word.</summary>
    [GeneratedRegex(@"^(?<indent> *)(?<fence>`{3,}|~{3,})\s*(?<info>[^\s`{]*)")]
    private static partial Regex Fence();
}
