using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeCache.Costs;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// The ledger's prompt-cache figures through the proxy and the fake's simulated prompt cache, checked against
/// figures computed here from the price table's rates and the usage the fake reported for each call.
/// </summary>
public sealed class PromptCacheAccountingTests
{
    internal const string Breakpoints = "x-cache-prompt-breakpoints";

    // Well over Sonnet's 1,024-token minimum, so the proxy's system breakpoint writes.
    internal static readonly string SharedSystem = string.Concat(Enumerable.Repeat("You analyse residential real estate listings for buyers. ", 160));

    private static readonly string OneOffSystem = string.Concat(Enumerable.Repeat("You summarise commercial leases clause by clause. ", 180));

    /// <summary>One call's usage as the fake reported it: the change in its totals across the call.</summary>
    internal sealed record CallUsage(long Input, long Write5m, long Write1h, long Read)
    {
        public long Prompt => Input + Write5m + Write1h + Read;

        public static CallUsage Between(FakeUsageTotals before, FakeUsageTotals after) =>
            new(after.InputTokens - before.InputTokens, after.CacheCreation5m - before.CacheCreation5m,
                after.CacheCreation1h - before.CacheCreation1h, after.CacheRead - before.CacheRead);

        /// <summary>Without markers every prompt token is plain input; with them each class has its rate (USD per million).</summary>
        public decimal Saved(TokenRates r) =>
            ((Prompt * r.Input) - ((Input * r.Input) + (Write5m * r.CacheWrite5m) + (Write1h * r.CacheWrite1h) + (Read * r.CacheRead))) / 1_000_000m;

        public decimal WriteCost(TokenRates r) => ((Write5m * r.CacheWrite5m) + (Write1h * r.CacheWrite1h)) / 1_000_000m;
    }

    /// <summary>Sends one request and returns the usage the fake reported for it.</summary>
    internal static async Task<(HttpResponseMessage Response, CallUsage Usage)> CallAsync(ProxyHost proxy, string body, params (string, string)[] headers)
    {
        var before = proxy.Upstream.UsageTotals;
        var (response, _) = await Requests.SendAsync(proxy.Client, body, headers);
        response.EnsureSuccessStatusCode();
        return (response, CallUsage.Between(before, proxy.Upstream.UsageTotals));
    }

    /// <summary>Sonnet 4.5's standard rates on the proxy's clock, from the shipped price table (the prompts here are far below any long-prompt tier).</summary>
    internal static TokenRates SonnetRates(ProxyHost proxy)
    {
        Assert.True(PriceTable.LoadDefault().TryFind("claude-sonnet-4-5", out var price));
        Assert.True(price.LongPrompt is null || price.LongPrompt.AboveTokens > 100_000);
        return price.RatesAt(proxy.Clock.GetUtcNow());
    }

    private static Dictionary<string, JsonElement> Groups(JsonElement stats, string name) =>
        stats.GetProperty(name).EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString()!, g => g.Clone());

    private static async Task<JsonElement> ReportAsync(ProxyHost proxy, long requests)
    {
        await CostAccountingTests.StatsAsync(proxy, requests);
        using var admin = proxy.CreateAdminClient();
        using var json = JsonDocument.Parse(await admin.GetStringAsync("admin/stats?window=1h", TestContext.Current.CancellationToken));
        return json.RootElement.Clone();
    }

    [Fact]
    public async Task ProxyMarkedCalls_SaveTheirPromptAtTheInputPriceLessWhatItCost_AndAnUnreadWriteIsANegativeSaving()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var rates = SonnetRates(proxy);

        // Two chat turns on one system prompt (the second streamed), then a one-off prompt nobody repeats.
        var (_, first) = await CallAsync(proxy, Requests.Body("Analyse 12 Oak Street", system: SharedSystem), (Breakpoints, "always"), ("x-cache-context", "chat"));
        var (_, second) = await CallAsync(proxy, Requests.Body("Analyse 14 Elm Road", stream: true, system: SharedSystem), (Breakpoints, "always"), ("x-cache-context", "chat"));
        var (_, oneOff) = await CallAsync(proxy, Requests.Body("Summarise the break clause", system: OneOffSystem), (Breakpoints, "always"), ("x-cache-context", "one-off"));
        var stats = await ReportAsync(proxy, 3);

        Assert.True(first.Write5m > 0 && first.Read == 0, "the first turn writes the shared prefix");
        Assert.True(second.Read > 0, "the second turn reads it");
        Assert.True(oneOff.Write5m > 0 && oneOff.Read == 0, "the one-off writes and is never read");
        var totals = stats.GetProperty("totals");
        Assert.Equal(3, totals.GetProperty("promptCacheMarkedCalls").GetInt64());
        Assert.Equal(first.Saved(rates) + second.Saved(rates) + oneOff.Saved(rates), totals.GetProperty("promptCacheSavedUsd").GetDecimal());
        Assert.Equal(first.WriteCost(rates) + second.WriteCost(rates) + oneOff.WriteCost(rates), totals.GetProperty("promptCacheWriteCostUsd").GetDecimal());
        Assert.Equal(first.Read + second.Read + oneOff.Read, totals.GetProperty("cacheReadTokens").GetInt64());

        var byContext = Groups(stats, "byContext");
        Assert.Equal(oneOff.Saved(rates), byContext["one-off"].GetProperty("promptCacheSavedUsd").GetDecimal());
        Assert.True(oneOff.Saved(rates) < 0, "a write never read costs 0.25× input more than sending the prompt plainly");
        Assert.Equal(first.Saved(rates) + second.Saved(rates), byContext["chat"].GetProperty("promptCacheSavedUsd").GetDecimal());
        Assert.True(byContext["chat"].GetProperty("promptCacheSavedUsd").GetDecimal() > 0, "the read pays for the write");
        var byModel = Groups(stats, "byModel");
        Assert.Equal(totals.GetProperty("promptCacheSavedUsd").GetDecimal(), byModel["claude-sonnet-4-5"].GetProperty("promptCacheSavedUsd").GetDecimal());
        var byStrategy = stats.GetProperty("byStrategy").EnumerateArray().ToList();
        Assert.Equal(3, byStrategy.Sum(s => s.GetProperty("promptCacheMarkedCalls").GetInt64()));
        Assert.Equal(totals.GetProperty("promptCacheSavedUsd").GetDecimal(), byStrategy.Sum(s => s.GetProperty("promptCacheSavedUsd").GetDecimal()));
    }

    [Fact]
    public async Task AMarkedCallOfAnUnpricedModel_IsCounted_WithNoSavingClaimed()
    {
        await using var proxy = await ProxyHost.StartAsync();
        proxy.Upstream.Responder = request => DefaultResponder.Reply(request) with { Model = "claude-mystery-9-20270101" };

        var (_, usage) = await CallAsync(proxy, Requests.Body("Analyse 12 Oak Street", model: "claude-mystery-9", system: SharedSystem), (Breakpoints, "always"));
        var totals = (await ReportAsync(proxy, 1)).GetProperty("totals");

        Assert.True(usage.Write5m > 0, "the markers wrote");
        Assert.Equal(1, totals.GetProperty("promptCacheMarkedCalls").GetInt64());
        Assert.Equal(1, totals.GetProperty("priceUnknown").GetInt64());
        Assert.Equal(0m, totals.GetProperty("promptCacheSavedUsd").GetDecimal());
        Assert.Equal(0m, totals.GetProperty("promptCacheWriteCostUsd").GetDecimal());
    }

    [Fact]
    public async Task CallersOwnMarkers_UnmarkedCalls_AndHits_AreNotCountedAsTheProxysMarkedCalls()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var rates = SonnetRates(proxy);
        var callerMarked = JsonNode.Parse(Requests.Body("Analyse 12 Oak Street"))!;
        callerMarked["system"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = SharedSystem, ["cache_control"] = new JsonObject { ["type"] = "ephemeral" } });

        var (_, callers) = await CallAsync(proxy, callerMarked.ToJsonString(), (Breakpoints, "always"));
        await CallAsync(proxy, Requests.Body("Analyse 16 Ash Lane", system: SharedSystem));
        var (_, marked) = await CallAsync(proxy, Requests.Body("Analyse 18 Birch Way", system: OneOffSystem), (Breakpoints, "always"));
        var (hit, _) = await CallAsync(proxy, Requests.Body("Analyse 18 Birch Way", system: OneOffSystem), (Breakpoints, "always"));
        var totals = (await ReportAsync(proxy, 4)).GetProperty("totals");

        Assert.True(callers.Write5m > 0, "the caller's own marker writes");
        Assert.Contains("cache_control", proxy.Upstream.Received[0].BodyText, StringComparison.Ordinal);
        Assert.DoesNotContain("cache_control", proxy.Upstream.Received[1].BodyText, StringComparison.Ordinal);
        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal(3, proxy.Upstream.MessagesCalls);
        Assert.Equal(1, totals.GetProperty("promptCacheMarkedCalls").GetInt64());
        Assert.Equal(marked.Saved(rates), totals.GetProperty("promptCacheSavedUsd").GetDecimal());
        Assert.Equal(marked.WriteCost(rates), totals.GetProperty("promptCacheWriteCostUsd").GetDecimal());
        // The caller's writes are still billed and counted as tokens, just not as the proxy's doing.
        Assert.Equal(callers.Write5m + marked.Write5m, totals.GetProperty("cacheWrite5mTokens").GetInt64());
    }
}
