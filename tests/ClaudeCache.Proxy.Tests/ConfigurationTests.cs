using ClaudeCache.Proxy.Cli;
using ClaudeCache.Proxy.Tests.Infrastructure;

namespace ClaudeCache.Proxy.Tests;

public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("ClaudeCache:Upstream", "not a url", "ClaudeCache:Upstream")]
    [InlineData("ClaudeCache:Port", "70000", "ClaudeCache:Port")]
    [InlineData("ClaudeCache:Storage:Provider", "floppy", "ClaudeCache:Storage:Provider")]
    [InlineData("ClaudeCache:Strategies:StandardTtl", "-01:00:00", "StandardTtl")]
    [InlineData("ClaudeCache:Port", "abc", "abc")]
    [InlineData("ClaudeCache:UpstreamTimeouts:StreamIdle", "00:00:00", "ClaudeCache:UpstreamTimeouts:StreamIdle")]
    [InlineData("ClaudeCache:Cache:RequestMemoMaxBytes", "-1", "ClaudeCache:Cache:RequestMemoMaxBytes")]
    [InlineData("ClaudeCache:Costs:MonthlyInfrastructureCostUsd", "-5", "ClaudeCache:Costs:MonthlyInfrastructureCostUsd")]
    [InlineData("ClaudeCache:MaxInFlightRequestBodyBytes", "1048576", "ClaudeCache:MaxInFlightRequestBodyBytes")]
    [InlineData("ClaudeCache:MaxConcurrentRequests", "0", "ClaudeCache:MaxConcurrentRequests")]
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

    [Theory]
    [InlineData("Prod")]
    [InlineData("dev")]
    public async Task UnknownEnvironment_IsRefused_ListingTheValidOnes(string environment)
    {
        var error = await AssertBinaryRefusesAsync(["--port", "0", "--environment", environment]);

        Assert.Contains($"'{environment}'", error, StringComparison.Ordinal);
        Assert.Contains("Development, Staging, Production", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownEnvironmentVariable_IsRefused_NamingTheVariable()
    {
        var error = await AssertBinaryRefusesAsync(["--port", "0"], new() { ["DOTNET_ENVIRONMENT"] = "Prod" });

        Assert.Contains("DOTNET_ENVIRONMENT 'Prod'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownStrategy_ListsTheValidValues_NotATypeName()
    {
        var error = await AssertBinaryRefusesAsync(["--port", "0"], new() { ["CLAUDECACHE__STRATEGIES__DEFAULTSTRATEGY"] = "Forever" });

        Assert.Contains("ClaudeCache:Strategies:DefaultStrategy is 'Forever'", error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Aggressive, Standard, Conservative, RealTime, NoCache", error, StringComparison.Ordinal);
        Assert.DoesNotContain("ClaudeCache.Policy", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnparsableDuration_SaysWhatADurationLooksLike()
    {
        var error = await AssertBinaryRefusesAsync(["--port", "0"], new() { ["CLAUDECACHE__STRATEGIES__STANDARDTTL"] = "banana" });

        Assert.Contains("StandardTtl is 'banana'", error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("expected a duration like 06:00:00", error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.TimeSpan", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokenJsonFile_IsRefused_WithItsLineAndColumn()
    {
        var directory = Directory.CreateTempSubdirectory("claudecache-config-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "broken.json"), "{\n  \"ClaudeCache\": {\n    \"Port\": 0\n    \"Upstream\": \"http://127.0.0.1:1\"\n  }\n}\n", TestContext.Current.CancellationToken);

        var error = await AssertBinaryRefusesAsync(["--config", "broken.json"], workingDirectory: directory);

        // Line 4 starts the property after "Port": 0 without a comma.
        Assert.Contains(Path.Combine(directory, "broken.json") + " is not valid JSON: line 4, column 5", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NegativeMemoryTier_NamesTheKey()
    {
        var error = await AssertBinaryRefusesAsync(["--port", "0"], new() { ["CLAUDECACHE__CACHE__MEMORYMAXBYTES"] = "-1" });

        Assert.Contains("ClaudeCache:Cache:MemoryMaxBytes must be 0 or more, not -1.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("DecodedMemoMaxBytes", error, StringComparison.Ordinal);
    }

    /// <summary>Runs the real binary: it must stop with exit code 2 and a message on stderr, which is returned.</summary>
    private static async Task<string> AssertBinaryRefusesAsync(string[] args, Dictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        workingDirectory ??= Directory.CreateTempSubdirectory("claudecache-config-").FullName;
        var (exitCode, process) = await ProxyProcess.RunAsync(["serve", "--db", "refused.db", .. args], workingDirectory, environment);
        await using (process)
        {
            Assert.True(exitCode == 2, $"exit code {exitCode}:\n{process.StandardOutput}\n{process.StandardError}");
            Assert.StartsWith("claudecache: ", process.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", process.StandardError, StringComparison.Ordinal);
            return process.StandardError;
        }
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
