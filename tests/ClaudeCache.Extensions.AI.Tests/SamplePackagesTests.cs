using System.Text.Json;
using System.Xml.Linq;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// A sample copied out of the repository references packages users can get (ours at the version we pack, the
/// others at the version pinned in Directory.Packages.props), not projects that are not there.
/// </summary>
public sealed class SamplePackagesTests
{
    [Theory]
    [InlineData("HandlerSample")]
    [InlineData("ChatClientSample")]
    [InlineData("GetOrCall")]
    public async Task SampleCopiedOutOfTheRepository_ReferencesOnlyPackages(string sample)
    {
        var copy = Directory.CreateTempSubdirectory("claudecache-sample-copy-").FullName;
        var project = Path.Combine(copy, sample + ".csproj");
        File.Copy(Path.Combine(RepositoryPaths.Root, "samples", sample, sample + ".csproj"), project);

        var evaluation = EvaluateAsync($"\"{project}\" -getItem:PackageReference -getItem:ProjectReference -getProperty:TargetFramework", copy);
        var ourVersion = EvaluateAsync($"\"{Path.Combine(RepositoryPaths.Root, "src", "ClaudeCache.Testing", "ClaudeCache.Testing.csproj")}\" -getProperty:PackageVersion", RepositoryPaths.Root);
        using var copied = JsonDocument.Parse(await evaluation);
        var version = (await ourVersion).Trim(); // one property alone is printed as its value, not JSON

        Assert.Equal("net10.0", copied.RootElement.GetProperty("Properties").GetProperty("TargetFramework").GetString());
        var items = copied.RootElement.GetProperty("Items");
        Assert.False(items.TryGetProperty("ProjectReference", out var projects) && projects.GetArrayLength() > 0, "a project reference outside the repository");
        var packages = items.GetProperty("PackageReference").EnumerateArray()
            .ToDictionary(p => p.GetProperty("Identity").GetString()!, p => p.GetProperty("Version").GetString());
        Assert.Equal(version, packages["ClaudeCache.Testing"]);
        Assert.Equal(version, packages["ClaudeCache.Extensions.AI"]);
        var pinned = XDocument.Load(Path.Combine(RepositoryPaths.Root, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!);
        foreach (var (id, packageVersion) in packages.Where(p => !p.Key.StartsWith("ClaudeCache.", StringComparison.Ordinal)))
        {
            Assert.Equal(pinned[id], packageVersion);
        }
    }

    /// <summary><c>dotnet msbuild -getItem/-getProperty</c>: evaluation only, no restore, seconds.</summary>
    private static async Task<string> EvaluateAsync(string arguments, string workingDirectory)
    {
        var (exitCode, output) = await DotnetProcess.RunAsync("msbuild " + arguments, workingDirectory, TimeSpan.FromMinutes(1));
        Assert.True(exitCode == 0, output);
        return output;
    }
}
