using System.IO.Compression;
using System.Xml.Linq;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary><c>dotnet pack</c> succeeds for every packable library, and each package carries its README and XML docs.</summary>
public sealed class PackTests
{
    [Fact]
    public async Task EveryLibraryProject_Packs_WithReadmeAndXmlDocs()
    {
        var projects = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(path => XDocument.Load(path).Descendants("IsPackable").Any(e => e.Value.Trim() == "true"))
            // A tool package holds the command, not a library (ToolPackageTests).
            .Where(path => !XDocument.Load(path).Descendants("PackAsTool").Any(e => e.Value.Trim() == "true"))
            .OrderBy(path => path, StringComparer.Ordinal)
            .ToList();
        Assert.Contains(projects, p => p.EndsWith("ClaudeCache.Core.csproj", StringComparison.Ordinal));
        Assert.Contains(projects, p => p.EndsWith("ClaudeCache.Storage.Sqlite.csproj", StringComparison.Ordinal));
        Assert.Contains(projects, p => p.EndsWith("ClaudeCache.Extensions.AI.csproj", StringComparison.Ordinal));
        Assert.Contains(projects, p => p.EndsWith("ClaudeCache.Testing.csproj", StringComparison.Ordinal));
        var output = Directory.CreateTempSubdirectory("claudecache-pack-").FullName;

        foreach (var project in projects)
        {
            // test.sh builds Release first, so this packs what was built (seconds); a project this run did not
            // build (in a Debug run, say) is built by pack itself.
            var id = Path.GetFileNameWithoutExtension(project);
            var built = File.Exists(Path.Combine(Path.GetDirectoryName(project)!, "bin", "Release", "net10.0", id + ".xml"));
            var (exitCode, log) = await DotnetProcess.RunAsync(
                $"pack \"{project}\" -c Release -o \"{output}\" --nologo -v q{(built ? " --no-build" : "")}", RepositoryPaths.Root, TimeSpan.FromMinutes(3));
            Assert.True(exitCode == 0, log);
        }

        foreach (var project in projects)
        {
            var id = Path.GetFileNameWithoutExtension(project);
            // "ClaudeCache.Core.1.0.0.nupkg", not "ClaudeCache.Core.Tests..." nor a symbols package.
            var package = Assert.Single(Directory.GetFiles(output, id + ".*.nupkg"), f =>
                char.IsDigit(Path.GetFileName(f)[id.Length + 1]) && !f.EndsWith(".symbols.nupkg", StringComparison.Ordinal));
            using var zip = ZipFile.OpenRead(package);
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("README.md", entries);
            Assert.Contains($"lib/net10.0/{id}.dll", entries);
            Assert.Contains($"lib/net10.0/{id}.xml", entries);
            var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            Assert.False(string.IsNullOrWhiteSpace(metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "description")?.Value), id + " has no description");
            Assert.Equal("README.md", metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "readme")?.Value);
        }
    }
}
