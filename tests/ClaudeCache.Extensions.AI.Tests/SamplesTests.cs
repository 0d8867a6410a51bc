using ClaudeCache.Extensions.AI.Tests.Infrastructure;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>Every sample builds (it is referenced by this project) and runs against the fake upstream: MISS, then HIT.</summary>
public sealed class SamplesTests
{
    [Theory]
    [InlineData("ProxyClient")]
    [InlineData("HandlerSample")]
    [InlineData("ChatClientSample")]
    [InlineData("GetOrCall")]
    public async Task Sample_RunsAgainstTheFakeUpstream_MissThenHit(string sample)
    {
        var assembly = Path.Combine(RepositoryPaths.Root, "samples", sample, "bin", RepositoryPaths.Configuration, "net10.0", sample + ".dll");
        Assert.True(File.Exists(assembly), "The sample was not built: " + assembly);
        var workingDirectory = Directory.CreateTempSubdirectory("claudecache-sample-").FullName;

        var (exitCode, output) = await DotnetProcess.RunAsync($"\"{assembly}\"", workingDirectory, TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, output);
        Assert.Contains("call 1: MISS", output, StringComparison.Ordinal);
        Assert.Contains("call 2: HIT", output, StringComparison.Ordinal);
    }
}
