using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeCache.Proxy.Cli;
using ClaudeCache.Proxy.Tests.Infrastructure;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// <c>claudecache warm</c> with <c>"prewarmPrompt": true</c>: the entry is sent with <c>max_tokens: 0</c> and the
/// proxy's breakpoints, so the (simulated) prompt cache holds its prefix for the day's real requests.
/// </summary>
public sealed class PromptPrewarmTests
{
    private static string RealRequest() => Requests.Body("Analyse 12 Oak Street", system: PromptCacheAccountingTests.SharedSystem);

    private static async Task<(int ExitCode, string Output)> WarmAsync(ProxyHost proxy, JsonObject entry)
    {
        var path = Path.ChangeExtension(TempFiles.NewDatabasePath(), ".json");
        await File.WriteAllTextAsync(path, new JsonObject { ["name"] = "templates", ["requests"] = new JsonArray(entry) }.ToJsonString(), TestContext.Current.CancellationToken);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var arguments = new WarmArguments { Profile = path, Url = proxy.BaseAddress.ToString(), ApiKey = "sk-ant-test-key-1" };
        var exitCode = await WarmCommand.RunAsync(arguments, output, error, TestContext.Current.CancellationToken);
        return (exitCode, output.ToString() + error);
    }

    [Fact]
    public async Task PrewarmPrompt_WritesThePrefix_StoresNoAnswer_AndTheLedgerCountsTheWrite()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var entry = new JsonObject { ["name"] = "oak-street", ["prewarmPrompt"] = true, ["body"] = JsonNode.Parse(RealRequest()) };

        var (exitCode, output) = await WarmAsync(proxy, entry);
        await proxy.SettleAsync();
        var afterWarm = await CostAccountingTests.StatsAsync(proxy, 1, "window=1h");
        using var admin = proxy.CreateAdminClient();
        using var report = JsonDocument.Parse(await admin.GetStringAsync("admin/stats?window=1h", TestContext.Current.CancellationToken));
        var warm = proxy.Upstream.UsageTotals;
        var (realResponse, realBody) = await Requests.SendAsync(proxy.Client, RealRequest(), (PromptCacheAccountingTests.Breakpoints, "auto"));

        Assert.Equal(0, exitCode);
        Assert.Matches(@"Prompt cache pre-warmed\W+1\W", output);
        var sent = JsonNode.Parse(proxy.Upstream.Received[0].Body)!;
        Assert.Equal(0, sent["max_tokens"]!.GetValue<int>());
        Assert.NotNull(sent["system"]![0]!["cache_control"]);
        Assert.True(proxy.Upstream.PromptCache.EntryCount > 0, "the simulated prompt cache holds the prefix");
        Assert.True(warm.CacheCreation5m > 0);
        Assert.Equal(0, warm.OutputTokens);
        // Nothing is stored in the response cache: a 0-token answer answers nobody.
        Assert.Equal(1, afterWarm.GetProperty("bypasses").GetInt64());
        Assert.Equal(0, report.RootElement.GetProperty("cache").GetProperty("memoryEntries").GetInt64());
        Assert.Equal(0, report.RootElement.GetProperty("cache").GetProperty("storedEntries").GetInt64());
        // The ledger counts the write, as a marked call whose write is not read yet.
        Assert.Equal(warm.CacheCreation5m, afterWarm.GetProperty("cacheWrite5mTokens").GetInt64());
        Assert.Equal(1, afterWarm.GetProperty("promptCacheMarkedCalls").GetInt64());
        Assert.True(afterWarm.GetProperty("promptCacheSavedUsd").GetDecimal() < 0);
        // The day's real request reads the prefix.
        Assert.Equal("MISS", realResponse.Header("x-cache"));
        using var real = JsonDocument.Parse(realBody);
        Assert.True(real.RootElement.GetProperty("usage").GetProperty("cache_read_input_tokens").GetInt64() > 0);
    }

    [Fact]
    public async Task PrewarmPrompt_OfAStreamedRequest_IsSentWithoutTheStream_AndAgainOnTheNextRun()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = JsonNode.Parse(Requests.Body("Analyse 12 Oak Street", stream: true, system: PromptCacheAccountingTests.SharedSystem))!;
        var entry = new JsonObject { ["prewarmPrompt"] = true, ["headers"] = new JsonObject { ["x-cache-context"] = "property_analysis" }, ["body"] = body };

        var first = await WarmAsync(proxy, entry.DeepClone().AsObject());
        var second = await WarmAsync(proxy, entry.DeepClone().AsObject());

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        // Never answered from the response cache: each run refreshes the prefix upstream (a read renews its TTL).
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
        Assert.All(proxy.Upstream.Received, r => Assert.Null(JsonNode.Parse(r.Body)!["stream"]));
        var read = JsonNode.Parse(proxy.Upstream.Received[1].Body)!;
        Assert.Equal(0, read["max_tokens"]!.GetValue<int>());
        Assert.True(proxy.Upstream.UsageTotals.CacheRead > 0, "the second run reads the prefix the first wrote");
    }
}
