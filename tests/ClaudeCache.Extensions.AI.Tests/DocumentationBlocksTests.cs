using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// Every fenced code block a user may copy from README.md, docs/**/*.md and the packages' and samples' READMEs
/// compiles or parses: C# against our assemblies (Roslyn), JSON (comments allowed, as appsettings files), TypeScript
/// and JavaScript against the official SDK (tsc), shell (<c>bash -n</c>), Python (<c>ast.parse</c>). The blocks are
/// read at test time, so one added later is checked without touching this class. Each failure names the block's
/// file and line.
/// </summary>
public sealed partial class DocumentationBlocksTests
{
    private static readonly string[] CSharp = ["csharp", "cs", "c#"];
    private static readonly string[] Json = ["json", "jsonc"];
    private static readonly string[] Script = ["ts", "typescript", "js", "javascript"];
    private static readonly string[] Shell = ["sh", "bash", "shell"];
    private static readonly string[] Python = ["python", "py"];

    /// <summary>Output, diagrams and examples of what a program prints: nothing to check.</summary>
    private static readonly string[] PlainText = ["", "text"];

    public static TheoryData<string> CSharpBlocks => Locations(CSharp);

    public static TheoryData<string> JsonBlocks => Locations(Json);

    public static TheoryData<string> ShellBlocks => Locations(Shell);

    public static TheoryData<string> PythonBlocks => Locations(Python);

    [Fact]
    public void EveryBlock_IsInALanguageThisClassChecks_OrPlainText()
    {
        var known = CSharp.Concat(Json).Concat(Script).Concat(Shell).Concat(Python).Concat(PlainText).ToHashSet();

        var unchecked_ = MarkdownCodeBlocks.All.Where(b => !known.Contains(b.Language)).Select(b => $"{b.Location} ({b.Language})").ToList();

        Assert.True(unchecked_.Count == 0, "No check for these blocks' languages: " + string.Join(", ", unchecked_));
    }

    [Theory]
    [MemberData(nameof(CSharpBlocks))]
    public void CSharpBlock_Compiles(string location)
    {
        var block = MarkdownCodeBlocks.At(location);

        var diagnostics = SnippetCompiler.Diagnose(block.Code);

        Assert.True(diagnostics.Count == 0, string.Join("\n", diagnostics.Select(d => $"{block.File}:{block.FileLine(d.Line)}: {d.Message}")));
    }

    [Fact]
    public void CSharpSnippet_WithoutTheUsingItNeeds_IsReportedAtItsLine()
    {
        const string snippet = """
            var parameters = new Anthropic.Models.Messages.MessageCreateParams { Model = "claude-haiku-4-5", MaxTokens = 16, Messages = [] };
            var message = new UserMessageParam("Explain what a cap rate is");
            """;

        var diagnostics = SnippetCompiler.Diagnose(snippet);

        var (line, message) = Assert.Single(diagnostics);
        Assert.Equal(2, line);
        Assert.StartsWith("CS0246", message, StringComparison.Ordinal); // type or namespace not found
    }

    [Theory]
    [MemberData(nameof(JsonBlocks))]
    public void JsonBlock_Parses(string location)
    {
        var block = MarkdownCodeBlocks.At(location);

        var exception = Record.Exception(() => JsonDocument.Parse(block.Code, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip }).Dispose());

        // JsonException.LineNumber is 0-based.
        var line = (exception as JsonException)?.LineNumber is { } index ? block.FileLine((int)index + 1) : block.Line;
        Assert.True(exception is null, $"{block.File}:{line}: {exception?.Message}");
    }

    [Theory]
    [MemberData(nameof(ShellBlocks))]
    public async Task ShellBlock_PassesBashSyntaxCheck(string location)
    {
        var block = MarkdownCodeBlocks.At(location);

        var (exitCode, output) = await ChildProcess.RunAsync(new ProcessStartInfo("bash", "-n"), TimeSpan.FromSeconds(30), block.Code);

        // bash -n reports "bash: line N: ..." for its standard input.
        Assert.True(exitCode == 0, BashLine().Replace(output, m => $"{block.File}:{block.FileLine(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))}:"));
    }

    [Theory]
    [MemberData(nameof(PythonBlocks))]
    public async Task PythonBlock_Parses(string location)
    {
        var block = MarkdownCodeBlocks.At(location);

        var (exitCode, output) = await ChildProcess.RunAsync(new ProcessStartInfo("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"]), TimeSpan.FromSeconds(30), block.Code);

        Assert.True(exitCode == 0, $"{block.Location}: {output}");
    }

    /// <summary>One <c>tsc</c> run over every block (each its own ES module), typed against the SDK that tests/sdk-js installs.</summary>
    [Fact]
    public async Task ScriptBlocks_TypeCheckAgainstTheOfficialSdk()
    {
        var blocks = MarkdownCodeBlocks.InLanguages(Script).ToList();
        Assert.NotEmpty(blocks);
        var nodeModules = Path.Combine(RepositoryPaths.Root, "tests", "sdk-js", "node_modules");
        var tsc = Path.Combine(nodeModules, "typescript", "bin", "tsc");
        Assert.True(File.Exists(tsc), "TypeScript is not installed: run ./test.sh, or npm ci in tests/sdk-js");
        var folder = Directory.CreateTempSubdirectory("claudecache-doc-scripts-").FullName;
        try
        {
            Directory.CreateSymbolicLink(Path.Combine(folder, "node_modules"), nodeModules);
            var files = blocks.Select((block, i) => (Name: $"block{i}.{(block.Language.StartsWith('t') ? "mts" : "mjs")}", Block: block)).ToList();
            foreach (var (name, block) in files)
            {
                await File.WriteAllTextAsync(Path.Combine(folder, name), block.Code);
            }

            var arguments = new[] { tsc, "--noEmit", "--pretty", "false", "--strict", "--allowJs", "--checkJs", "--skipLibCheck",
                "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--lib", "es2022,dom" }
                .Concat(files.Select(f => f.Name));
            var (exitCode, output) = await ChildProcess.RunAsync(new ProcessStartInfo("node", arguments) { WorkingDirectory = folder }, TimeSpan.FromMinutes(2));

            // tsc reports "blockN.mts(line,column): error TS...": name the documentation file and line instead.
            var report = TscLocation().Replace(output, m =>
            {
                var block = files.Single(f => f.Name == m.Groups["file"].Value).Block;
                return $"{block.File}:{block.FileLine(int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture))}:";
            });
            Assert.True(exitCode == 0, report);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Parse_FindsFencesInListItemsAndWithTildes_WithTheLineOfTheirOpeningFence()
    {
        const string markdown = "# Title\n\n```csharp\nvar x = 1;\n```\n- item\n  ```json\n  { \"a\": 1 }\n  ```\n~~~sh\necho ```\n~~~\n```\nplain\n```\n";

        var blocks = MarkdownCodeBlocks.Parse("x.md", markdown).ToList();

        Assert.Equal(["x.md:3 csharp", "x.md:7 json", "x.md:10 sh", "x.md:13 "], blocks.Select(b => $"{b.Location} {b.Language}"));
        Assert.Equal("{ \"a\": 1 }\n", blocks[1].Code);
        Assert.Equal("echo ```\n", blocks[2].Code);
        Assert.Equal(8, blocks[1].FileLine(1));
    }

    private static TheoryData<string> Locations(string[] languages) => new(MarkdownCodeBlocks.InLanguages(languages).Select(b => b.Location));

    [GeneratedRegex(@"^bash: line (\d+):", RegexOptions.Multiline)]
    private static partial Regex BashLine();

    [GeneratedRegex(@"^(?<file>block\d+\.m[tj]s)\((?<line>\d+),\d+\):", RegexOptions.Multiline)]
    private static partial Regex TscLocation();
}
