using System.Text.RegularExpressions;
using ClaudeCache.Proxy.Demo;

namespace ClaudeCache.Proxy.Tests;

public sealed class DemoTests
{
    [Fact]
    public async Task Demo_RunsAWorkloadThroughTheProxy_AndReportsHitsAndSavings()
    {
        var output = new StringWriter();

        var exitCode = await DemoRunner.RunAsync(12, 0.6, output, TestContext.Current.CancellationToken);

        var text = output.ToString();
        Assert.Equal(0, exitCode);
        var counts = Regex.Match(text, @"Hits / misses\s+(\d+) / (\d+)");
        Assert.True(counts.Success, text);
        var hits = int.Parse(counts.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var misses = int.Parse(counts.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(12, hits + misses);
        Assert.True(hits > 0, text);
        Assert.Matches(@"Upstream calls\s+" + misses + " ", text);
    }
}
