using System.Text;
using ClaudeCache.Anthropic;
using ClaudeCache.Costs;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using ClaudeCache.Storage.Sqlite;
using ClaudeCache.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>In-process users get the proxy's savings ledger: one entry per request, priced as the proxy prices it.</summary>
public sealed class LedgerTests
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);

    [Theory]
    [InlineData(null)]
    [InlineData("sqlite")]
    public async Task Handler_OneMissTwoHits_AreThreeEntries_PricedAsTheMiss(string? provider)
    {
        var database = provider is null ? null : TempFiles.NewDatabasePath();
        await using var test = await TestEngine.StartAsync(sqlitePath: database);
        using var client = test.Sdk();
        var ct = TestContext.Current.CancellationToken;
        var parameters = HandlerTests.Params("Price 12 Oak Street");

        var miss = await client.Messages.Create(parameters, ct);
        await client.Messages.Create(parameters, ct);
        await client.Messages.Create(parameters, ct);
        Assert.Equal(1, test.Upstream.MessagesCalls);

        var (rows, report) = await ReportWhenAsync(test.Engine.Ledger!.Ledger, test.Clock.GetUtcNow(), requests: 3);
        Assert.Equal(3, report.Totals.Requests);
        Assert.Equal(2, report.Totals.Hits);
        Assert.Equal(1, report.Totals.Misses);

        // The miss is priced from its usage at the shipped prices; each hit avoided exactly that.
        var usage = miss.Usage;
        var tokens = new TokenUsage(usage.InputTokens, usage.OutputTokens, usage.CacheCreationInputTokens ?? 0, usage.CacheReadInputTokens ?? 0,
            usage.CacheCreationInputTokens ?? 0, 0, null);
        var model = rows.Single(r => r.Outcome == "miss").Model;
        var priced = new CostCalculator(PriceTable.LoadDefault()).Calculate(model, tokens, test.Clock.GetUtcNow());
        Assert.True(priced.PriceKnown);
        var expected = LedgerRecorder.ToNanos(priced.Total) / 1_000_000_000m;
        Assert.True(report.Totals.CostUsd > 0);
        Assert.Equal(expected, report.Totals.CostUsd);
        Assert.Equal(2 * expected, report.Totals.SavingsUsd);
    }

    [Fact]
    public async Task Handler_Streaming_IsRecordedOncePerRequest()
    {
        await using var test = await TestEngine.StartAsync();
        using var client = test.Sdk();

        await HandlerTests.CollectAsync(client, HandlerTests.Params("Stream a price"));
        await HandlerTests.CollectAsync(client, HandlerTests.Params("Stream a price"));

        // Every request's recording has run (none is still waiting for its flight): the ledger holds all there will be.
        var recorder = test.Engine.Ledger!;
        await ReportWhenAsync(recorder.Ledger, test.Clock.GetUtcNow(), requests: 2);
        while (recorder.AwaitingJudgement > 0)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        var (_, report) = await ReportWhenAsync(recorder.Ledger, test.Clock.GetUtcNow(), requests: 2);
        Assert.Equal(2, report.Totals.Requests);
        Assert.Equal(1, report.Totals.Hits);
        Assert.True(report.Totals.CostUsd > 0);
        Assert.Equal(report.Totals.CostUsd, report.Totals.SavingsUsd);
    }

    [Fact]
    public async Task GetOrCall_RecordsOneEntryPerCall_MatchingItsCostAndSaving()
    {
        await using var test = await TestEngine.StartAsync();
        using var http = new HttpClient();
        var body = Encoding.UTF8.GetBytes("""{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Ledger"}]}""");
        var headers = new RequestHeaders("sk-ant-ledger", null, "2023-06-01", null, null, null, null, null);
        UpstreamSend send = ct =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(test.Upstream.BaseAddress, "v1/messages")) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.Add("x-api-key", "sk-ant-ledger");
            request.Headers.Add("anthropic-version", "2023-06-01");
            return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        };
        var ct = TestContext.Current.CancellationToken;

        var miss = await test.Engine.GetOrCallAsync(body, headers, send, ct);
        var hit = await test.Engine.GetOrCallAsync(body, headers, send, ct);

        var (_, report) = await ReportWhenAsync(test.Engine.Ledger!.Ledger, test.Clock.GetUtcNow(), requests: 2);
        Assert.Equal(2, report.Totals.Requests);
        Assert.Equal(1, report.Totals.Hits);
        Assert.Equal(1, report.Totals.Misses);
        Assert.True(miss.Cost > 0);
        Assert.Equal(miss.Cost, report.Totals.CostUsd);
        Assert.Equal(hit.Saving, report.Totals.SavingsUsd);
    }

    [Fact]
    public async Task ProxyAndHandler_OnOneSqliteFile_AddUpInOneLedger()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var database = TempFiles.NewDatabasePath();
        var clock = TestEngine.NewClock();
        var ct = TestContext.Current.CancellationToken;
        const string ApiKey = "sk-ant-shared-ledger";

        await using (var proxy = await TestProxy.StartAsync(upstream, database, clock))
        await using (var handler = await TestEngine.StartAsync(upstream, database, clock))
        {
            using var viaProxy = proxy.Sdk(ApiKey);
            using var viaHandler = handler.Sdk(ApiKey);

            // Proxy: miss, hit. Handler: a hit on the proxy's entry, then a miss and a hit of its own.
            await viaProxy.Messages.Create(HandlerTests.Params("Shared ledger A"), ct);
            await viaProxy.Messages.Create(HandlerTests.Params("Shared ledger A"), ct);
            await ReportWhenAsync(proxy.Ledger, clock.GetUtcNow(), requests: 2);
            await proxy.Cache.FlushAsync(ct);
            await viaHandler.Messages.Create(HandlerTests.Params("Shared ledger A"), ct);
            await viaHandler.Messages.Create(HandlerTests.Params("Shared ledger B"), ct);
            await viaHandler.Messages.Create(HandlerTests.Params("Shared ledger B"), ct);
            await ReportWhenAsync(handler.Engine.Ledger!.Ledger, clock.GetUtcNow(), requests: 5);
        }

        Assert.Equal(2, upstream.MessagesCalls);
        await using var ledger = new SavingsLedger(new SqliteLedgerStore(database), clock, Timeout.InfiniteTimeSpan);
        var (_, report) = await ReportWhenAsync(ledger, clock.GetUtcNow(), requests: 5);
        Assert.Equal(5, report.Totals.Requests);
        Assert.Equal(3, report.Totals.Hits);
        Assert.Equal(2, report.Totals.Misses);
        Assert.True(report.Totals.CostUsd > 0);
        Assert.True(report.Totals.SavingsUsd > 0);
    }

    [Fact]
    public async Task AddClaudeCache_RegistersTheEnginesLedger()
    {
        var services = new ServiceCollection().AddClaudeCache(o => o.Storage.Provider = "memory").Services;
        await using var provider = services.BuildServiceProvider();

        var engine = provider.GetRequiredService<CacheEngine>();
        Assert.Same(provider.GetRequiredService<LedgerRecorder>(), engine.Ledger);
        Assert.Same(provider.GetRequiredService<SavingsLedger>(), engine.Ledger!.Ledger);
        Assert.IsType<MemoryLedgerStore>(engine.Ledger.Ledger.Store);
        Assert.NotNull(engine.CostEstimator);
    }

    [Fact]
    public async Task Factory_WithAccountingOff_RecordsNothing()
    {
        var options = new ClaudeCacheOptions();
        options.Storage.Provider = "memory";
        options.Costs.Enabled = false;
        var engine = ClaudeCacheEngineFactory.Create(options);
        await using (engine.Cache)
        {
            Assert.False(engine.Ledger!.Enabled);
        }
    }

    /// <summary>
    /// Entries are recorded when each flight is judged, just after its caller has the bytes: waits until the
    /// ledger holds at least <paramref name="requests"/>.
    /// </summary>
    internal static async Task<(IReadOnlyList<LedgerRow> Rows, SavingsReport Report)> ReportWhenAsync(SavingsLedger ledger, DateTimeOffset now, long requests)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var (from, to) = (now - Window, now + Window);
        while (true)
        {
            var (rows, latency) = await ledger.QueryAsync(from, to, timeout.Token);
            var report = SavingsAnalytics.Build(rows, latency, from, to, null, 0m);
            if (report.Totals.Requests >= requests)
            {
                return (rows, report);
            }

            await Task.Delay(10, timeout.Token);
        }
    }
}
