using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ClaudeCache.Extensions.AI.Tests.Infrastructure;

/// <summary>
/// Compiles a C# snippet as a user's project would: C# latest, nullable on, the SDK's implicit usings, against
/// every assembly this test process runs with (the .NET and ASP.NET Core frameworks, ClaudeCache's packages and
/// their dependencies, the Anthropic SDK). Top-level statements compile as a program, type declarations alone as
/// a library.
/// </summary>
public static class SnippetCompiler
{
    /// <summary>What <c>&lt;ImplicitUsings&gt;enable&lt;/ImplicitUsings&gt;</c> gives a console project (Microsoft.NET.Sdk).</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>Loaded once: building metadata for a few hundred assemblies is the slow part, not a compilation.</summary>
    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToList());

    private static readonly SyntaxTree ImplicitUsingsTree = CSharpSyntaxTree.ParseText(ImplicitUsings, ParseOptions, "ImplicitUsings.cs");

    /// <summary>The errors and warnings of <paramref name="code"/>, each with its line within the snippet (1-based).</summary>
    public static IReadOnlyList<(int Line, string Message)> Diagnose(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, ParseOptions, "Snippet.cs");
        var isProgram = tree.GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().Any();
        var options = new CSharpCompilationOptions(isProgram ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary)
            .WithNullableContextOptions(NullableContextOptions.Enable)
            // As the SDK does: these say one referenced assembly was built against another version of a framework one.
            .WithSpecificDiagnosticOptions([new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]);
        var compilation = CSharpCompilation.Create("Snippet", [ImplicitUsingsTree, tree], References.Value, options);
        return compilation.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && (d.Location.SourceTree is null || d.Location.SourceTree == tree))
            .Select(d => (d.Location.SourceTree is null ? 0 : d.Location.GetLineSpan().StartLinePosition.Line + 1, $"{d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}"))
            .ToList();
    }
}
