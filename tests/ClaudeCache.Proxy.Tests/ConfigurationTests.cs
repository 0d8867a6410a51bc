using ClaudeCache.Proxy.Cli;

namespace ClaudeCache.Proxy.Tests;

public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("ClaudeCache:Upstream", "not a url", "ClaudeCache:Upstream")]
    [InlineData("ClaudeCache:Port", "70000", "ClaudeCache:Port")]
    [InlineData("ClaudeCache:Storage:Provider", "floppy", "ClaudeCache:Storage:Provider")]
    [InlineData("ClaudeCache:Strategies:StandardTtl", "-01:00:00", "StandardTtl")]
    [InlineData("ClaudeCache:Port", "abc", "abc")]
    public async Task BadConfiguration_StopsWithAClearMessage_AndExitCode2(string key, string value, string mentioned)
    {
        var overrides = new Dictionary<string, string?> { [key] = value, ["ClaudeCache:Storage:SqlitePath"] = Infrastructure.TempFiles.NewDatabasePath() };
        if (key != "ClaudeCache:Port")
        {
            overrides["ClaudeCache:Port"] = "0";
        }

        await AssertRefusedAsync(overrides, mentioned);
    }

    [Theory]
    [InlineData("KeyPrefix", "cc{team}:", "ClaudeCache:Storage:Redis:KeyPrefix must not contain")]
    [InlineData("Configuration", "127.0.0.1:6379,abortConnect=perhaps", "ClaudeCache:Storage:Redis:Configuration does not parse")]
    [InlineData("MaxEntryBytes", "0", "ClaudeCache:Storage:Redis:MaxEntryBytes must be positive")]
    public async Task BadRedisConfiguration_StopsNamingTheKey_AndExitCode2(string key, string value, string mentioned)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["ClaudeCache:Port"] = "0",
            ["ClaudeCache:Storage:Provider"] = "redis",
            [$"ClaudeCache:Storage:Redis:{key}"] = value,
        };
        await AssertRefusedAsync(overrides, mentioned);
    }

    [Fact]
    public async Task MissingConfigFile_StopsWithExitCode2()
    {
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            var exitCode = await ServeCommand.RunAsync(new Dictionary<string, string?>(), "/nonexistent/claudecache.json", null, TestContext.Current.CancellationToken);
            Assert.Equal(2, exitCode);
        }
        finally
        {
            Console.SetError(previous);
        }

        Assert.Contains("claudecache.json", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Runs <c>serve</c> with <paramref name="overrides"/>: it must stop with exit code 2, naming the problem.</summary>
    private static async Task AssertRefusedAsync(Dictionary<string, string?> overrides, string mentioned)
    {
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        int exitCode;
        try
        {
            exitCode = await ServeCommand.RunAsync(overrides, configFile: null, environment: null, TestContext.Current.CancellationToken);
        }
        finally
        {
            Console.SetError(previous);
        }

        Assert.Equal(2, exitCode);
        Assert.Contains(mentioned, error.ToString(), StringComparison.Ordinal);
    }
}
