using System.Net.Http.Headers;
using System.Text.Json;
using ClaudeCache.Anthropic;
using ClaudeCache.Costs;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using ClaudeCache.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// The <c>IChatClient</c> middleware records into the savings ledger as the handler does: through the official
/// SDK's <c>AsIChatClient(...)</c> against the fake upstream, a miss spends its priced usage and each hit avoids
/// exactly that.
/// </summary>
public sealed class ChatLedgerTests
{
    private const string AdminToken = "chat-ledger-admin-token";

    private static readonly TimeSpan Window = TimeSpan.FromHours(1);

    // Every token class the chat client reports: uncached input, cache writes and reads, output.
    private static readonly FakeUsage Usage = new(InputTokens: 1_200, OutputTokens: 300, CacheCreation5m: 2_048, CacheRead: 4_096);

    [Theory]
    [InlineData(null)]
    [InlineData("sqlite")]
    public async Task OneMissTwoHits_CostIsTheMissPriced_SavingsExactlyTwice(string? provider)
    {
        await using var test = await TestEngine.StartAsync(sqlitePath: provider is null ? null : TempFiles.NewDatabasePath());
        test.Upstream.Responder = WithUsage(Usage);
        using var sdk = Sdk(test.Upstream);
        using var chat = sdk.AsIChatClient("claude-sonnet-4-5", 512).AsBuilder().UseClaudeCache(test.Engine).Build();
        var ct = TestContext.Current.CancellationToken;

        var miss = await chat.GetResponseAsync("Price the renovation at 12 Oak Street", cancellationToken: ct);
        await chat.GetResponseAsync("Price the renovation at 12 Oak Street", cancellationToken: ct);
        await chat.GetResponseAsync("Price the renovation at 12 Oak Street", cancellationToken: ct);

        Assert.Equal(1, test.Upstream.MessagesCalls);
        var (rows, report) = await ReportWhenAsync(test.Engine.Ledger!.Ledger, test.Clock.GetUtcNow(), requests: 3);
        Assert.Equal(3, report.Totals.Requests);
        Assert.Equal(1, report.Totals.Misses);
        Assert.Equal(2, report.Totals.Hits);
        Assert.Equal(0, report.Totals.PriceUnknown);

        // Priced independently from what the fake sent, at the shipped prices, on the model it answered with.
        Assert.Equal(FakeReply.DefaultModel, miss.ModelId);
        var expected = Priced(FakeReply.DefaultModel, Usage, test.Clock.GetUtcNow());
        Assert.True(expected > 0);
        Assert.Equal(expected, report.Totals.CostUsd);
        Assert.Equal(2 * expected, report.Totals.SavingsUsd);
        // Filed under the price table's prefix the model matched, the name the metrics use.
        Assert.All(rows, r => Assert.Equal(PriceTable.LoadDefault().LabelOf(FakeReply.DefaultModel), r.Model));
        Assert.All(rows, r => Assert.Equal("standard", r.Strategy));

        // The miss's tokens by class; the hits' as avoided.
        Assert.Equal(Usage.InputTokens, report.Totals.InputTokens);
        Assert.Equal(Usage.OutputTokens, report.Totals.OutputTokens);
        Assert.Equal(Usage.CacheCreation5m, report.Totals.CacheWrite5mTokens);
        Assert.Equal(Usage.CacheRead, report.Totals.CacheReadTokens);
        Assert.Equal(2L * (Usage.InputTokens + Usage.CacheCreationInputTokens + Usage.CacheRead), report.Totals.AvoidedInputTokens);
        Assert.Equal(2L * Usage.OutputTokens, report.Totals.AvoidedOutputTokens);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Streaming_OneMissTwoHits_CostIsTheMissPriced_SavingsExactlyTwice(bool coalesceUpdates)
    {
        await using var test = await TestEngine.StartAsync();
        test.Upstream.Responder = WithUsage(Usage);
        using var sdk = Sdk(test.Upstream);
        using var chat = sdk.AsIChatClient("claude-sonnet-4-5", 512).AsBuilder()
            .UseClaudeCache(test.Engine, o => o.CoalesceStreamingUpdates = coalesceUpdates).Build();
        var ct = TestContext.Current.CancellationToken;

        var miss = await chat.GetStreamingResponseAsync("Stream a valuation of 4 Elm Road", cancellationToken: ct).ToListAsync(ct);
        var hit = await chat.GetStreamingResponseAsync("Stream a valuation of 4 Elm Road", cancellationToken: ct).ToListAsync(ct);
        await chat.GetStreamingResponseAsync("Stream a valuation of 4 Elm Road", cancellationToken: ct).ToListAsync(ct);

        Assert.Equal(1, test.Upstream.MessagesCalls);
        Assert.Contains(miss, u => u.Contents.OfType<UsageContent>().Any());
        Assert.Contains(hit, u => u.Contents.OfType<UsageContent>().Any());
        var (_, report) = await ReportWhenAsync(test.Engine.Ledger!.Ledger, test.Clock.GetUtcNow(), requests: 3);
        Assert.Equal(3, report.Totals.Requests);
        Assert.Equal(1, report.Totals.Misses);
        Assert.Equal(2, report.Totals.Hits);
        var expected = Priced(FakeReply.DefaultModel, Usage, test.Clock.GetUtcNow());
        Assert.True(expected > 0);
        Assert.Equal(expected, report.Totals.CostUsd);
        Assert.Equal(2 * expected, report.Totals.SavingsUsd);
        // The ledger names a model by the price table's prefix it matched (as the metrics do).
        Assert.Equal(PriceTable.LoadDefault().LabelOf(FakeReply.DefaultModel), Assert.Single(report.ByModel).Name);
    }

    [Fact]
    public async Task ChatAndProxy_OnOneSqliteFile_TheProxysAdminStatsShowTheChatRequests()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        upstream.Responder = WithUsage(Usage);
        var database = TempFiles.NewDatabasePath();
        var clock = TestEngine.NewClock();
        var ct = TestContext.Current.CancellationToken;
        const string ChatModel = "claude-haiku-4-5-20251001";

        await using var proxy = await TestProxy.StartAsync(upstream, database, clock, new Dictionary<string, string?> { ["ClaudeCache:AdminToken"] = AdminToken });
        await using (var engine = await TestEngine.StartAsync(upstream, database, clock))
        {
            // Chat on Haiku: a miss and a hit. Proxy on Sonnet: a miss and a hit.
            using var sdk = Sdk(upstream);
            using var chat = sdk.AsIChatClient("claude-haiku-4-5", 512).AsBuilder().UseClaudeCache(engine.Engine).Build();
            await chat.GetResponseAsync("Qualify the lead from the open house", cancellationToken: ct);
            await chat.GetResponseAsync("Qualify the lead from the open house", cancellationToken: ct);
            using var viaProxy = proxy.Sdk("sk-ant-shared-chat-ledger");
            await viaProxy.Messages.Create(HandlerTests.Params("Through the proxy"), ct);
            await viaProxy.Messages.Create(HandlerTests.Params("Through the proxy"), ct);
            await engine.Engine.Ledger!.Ledger.FlushAsync(ct);
        }

        Assert.Equal(2, upstream.MessagesCalls);
        using var admin = new HttpClient { BaseAddress = proxy.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        var stats = await StatsWhenAsync(admin, requests: 4);
        var totals = stats.GetProperty("totals");
        Assert.Equal(2, totals.GetProperty("hits").GetInt64());
        Assert.Equal(2, totals.GetProperty("misses").GetInt64());

        var chatPrice = Priced(ChatModel, Usage, clock.GetUtcNow());
        var byModel = stats.GetProperty("byModel").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        var chatFigures = byModel[PriceTable.LoadDefault().LabelOf(ChatModel)!];
        Assert.Equal(2, chatFigures.GetProperty("requests").GetInt64());
        Assert.Equal(1, chatFigures.GetProperty("hits").GetInt64());
        Assert.Equal(chatPrice, chatFigures.GetProperty("costUsd").GetDecimal());
        Assert.Equal(chatPrice, chatFigures.GetProperty("savingsUsd").GetDecimal());
        var proxyPrice = Priced(FakeReply.DefaultModel, Usage, clock.GetUtcNow());
        Assert.Equal(chatPrice + proxyPrice, totals.GetProperty("costUsd").GetDecimal());
        Assert.Equal(chatPrice + proxyPrice, totals.GetProperty("savingsUsd").GetDecimal());
    }

    [Fact]
    public async Task UnknownModel_IsCountedAsPriceUnknown_NeverAsFree()
    {
        await using var test = await TestEngine.StartAsync();
        using var sdk = Sdk(test.Upstream);
        using var chat = sdk.AsIChatClient("claude-mystery-9", 512).AsBuilder().UseClaudeCache(test.Engine).Build();
        var ct = TestContext.Current.CancellationToken;

        await chat.GetResponseAsync("Which model is this?", cancellationToken: ct);
        await chat.GetResponseAsync("Which model is this?", cancellationToken: ct);
        await chat.GetStreamingResponseAsync("Which model is this?", cancellationToken: ct).ToListAsync(ct);

        var (rows, report) = await ReportWhenAsync(test.Engine.Ledger!.Ledger, test.Clock.GetUtcNow(), requests: 3);
        Assert.Equal(3, report.Totals.PriceUnknown);
        Assert.Equal(2, report.Totals.Hits);
        Assert.Equal(0m, report.Totals.CostUsd);
        Assert.Equal(0m, report.Totals.SavingsUsd);
        Assert.All(rows, r => Assert.Equal("claude-mystery-9", r.Model));
    }

    [Fact]
    public async Task UpstreamError_IsOneErrorEntry_WithNoSpendClaimed()
    {
        await using var test = await TestEngine.StartAsync();
        test.Upstream.Responder = _ => FakeReply.Overloaded();
        using var sdk = Sdk(test.Upstream);
        using var chat = sdk.AsIChatClient("claude-sonnet-4-5", 512).AsBuilder().UseClaudeCache(test.Engine).Build();
        var ct = TestContext.Current.CancellationToken;

        await Assert.ThrowsAnyAsync<Exception>(() => chat.GetResponseAsync("Overloaded today", cancellationToken: ct));
        await Assert.ThrowsAnyAsync<Exception>(async () => await chat.GetStreamingResponseAsync("Overloaded today", cancellationToken: ct).ToListAsync(ct));

        var (_, report) = await ReportWhenAsync(test.Engine.Ledger!.Ledger, test.Clock.GetUtcNow(), requests: 2);
        Assert.Equal(2, report.Totals.Errors);
        Assert.Equal(0m, report.Totals.CostUsd);
        Assert.Equal(0m, report.Totals.SavingsUsd);
    }

    [Fact]
    public async Task StreamLeftEarly_TheSharedCallStillCompletes_IsStored_AndItsCallerPaysForIt()
    {
        await using var test = await TestEngine.StartAsync();
        test.Upstream.Responder = WithUsage(Usage);
        using var sdk = Sdk(test.Upstream);
        using var chat = sdk.AsIChatClient("claude-sonnet-4-5", 512).AsBuilder().UseClaudeCache(test.Engine).Build();
        var ct = TestContext.Current.CancellationToken;

        await foreach (var update in chat.GetStreamingResponseAsync("Leave after the first update", cancellationToken: ct))
        {
            break;
        }

        var second = await chat.GetStreamingResponseAsync("Leave after the first update", cancellationToken: ct).ToListAsync(ct);

        // The call runs detached from its callers: it completed and was stored (or was joined) for the next one.
        Assert.Equal(1, test.Upstream.MessagesCalls);
        Assert.NotEmpty(second);
        var (_, report) = await ReportWhenAsync(test.Engine.Ledger!.Ledger, test.Clock.GetUtcNow(), requests: 2);
        Assert.Equal(0, report.Totals.Errors);
        Assert.Equal(1, report.Totals.Misses);
        Assert.Equal(1, report.Totals.Hits);
        var expected = Priced(FakeReply.DefaultModel, Usage, test.Clock.GetUtcNow());
        Assert.Equal(expected, report.Totals.CostUsd);
        Assert.Equal(expected, report.Totals.SavingsUsd);
    }

    [Fact]
    public async Task CallsThatCannotBeKeyed_AreBypasses_PricedFromTheirUsage()
    {
        await using var test = await TestEngine.StartAsync();
        var calls = 0;
        using var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) =>
            {
                calls++;
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Uncacheable"))
                {
                    ModelId = "claude-sonnet-4-5-20250929",
                    Usage = new UsageDetails { InputTokenCount = 500, OutputTokenCount = 50 },
                });
            },
        };
        using var chat = new ChatClientBuilder(inner).UseClaudeCache(test.Engine).Build();
        var options = new ChatOptions { RawRepresentationFactory = _ => null };
        var ct = TestContext.Current.CancellationToken;

        await chat.GetResponseAsync("Raw options", options, ct);
        await chat.GetResponseAsync("Raw options", options, ct);

        Assert.Equal(2, calls);
        var (_, report) = await ReportWhenAsync(test.Engine.Ledger!.Ledger, test.Clock.GetUtcNow(), requests: 2);
        Assert.Equal(2, report.Totals.Bypasses);
        Assert.Equal(2 * Priced("claude-sonnet-4-5-20250929", new FakeUsage(500, 50), test.Clock.GetUtcNow()), report.Totals.CostUsd);
    }

    [Fact]
    public async Task ConcurrentIdenticalCalls_TheFollowerIsAHit_AvoidingTheLeadersCost()
    {
        await using var test = await TestEngine.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        using var inner = new TestChatClient
        {
            GetResponseAsyncCallback = async (_, _, ct) =>
            {
                Interlocked.Increment(ref calls);
                await release.Task.WaitAsync(ct);
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, "Shared"))
                {
                    ModelId = "claude-sonnet-4-5-20250929",
                    Usage = new UsageDetails { InputTokenCount = 900, OutputTokenCount = 120 },
                };
            },
        };
        using var chat = new ChatClientBuilder(inner).UseClaudeCache(test.Engine).Build();
        var ct = TestContext.Current.CancellationToken;

        var leader = chat.GetResponseAsync("Same question at once", cancellationToken: ct);
        var follower = chat.GetResponseAsync("Same question at once", cancellationToken: ct);
        while (Volatile.Read(ref calls) == 0)
        {
            await Task.Delay(5, ct);
        }

        release.SetResult();
        await Task.WhenAll(leader, follower);

        Assert.Equal(1, calls);
        var (_, report) = await ReportWhenAsync(test.Engine.Ledger!.Ledger, test.Clock.GetUtcNow(), requests: 2);
        Assert.Equal(1, report.Totals.Misses);
        Assert.Equal(1, report.Totals.Hits);
        var expected = Priced("claude-sonnet-4-5-20250929", new FakeUsage(900, 120), test.Clock.GetUtcNow());
        Assert.Equal(expected, report.Totals.CostUsd);
        Assert.Equal(expected, report.Totals.SavingsUsd);
    }

    [Fact]
    public async Task AnswerWithoutUsage_IsCountedAsPriceUnknown()
    {
        await using var test = await TestEngine.StartAsync();
        using var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "No usage")) { ModelId = "claude-sonnet-4-5" }),
        };
        using var chat = new ChatClientBuilder(inner).UseClaudeCache(test.Engine).Build();
        var ct = TestContext.Current.CancellationToken;

        await chat.GetResponseAsync("No usage reported", cancellationToken: ct);
        await chat.GetResponseAsync("No usage reported", cancellationToken: ct);

        var (_, report) = await ReportWhenAsync(test.Engine.Ledger!.Ledger, test.Clock.GetUtcNow(), requests: 2);
        Assert.Equal(2, report.Totals.PriceUnknown);
        Assert.Equal(1, report.Totals.Hits);
        Assert.Equal(0m, report.Totals.CostUsd);
    }

    [Fact]
    public async Task AnswerWithoutModelId_IsFiledUnderTheModelTheCallAskedFor()
    {
        await using var test = await TestEngine.StartAsync();
        using var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "No model id"))
            {
                Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 10 },
            }),
        };
        using var chat = new ChatClientBuilder(inner).UseClaudeCache(test.Engine).Build();
        var ct = TestContext.Current.CancellationToken;

        await chat.GetResponseAsync("Which model?", new ChatOptions { ModelId = "claude-haiku-4-5" }, ct);

        var (rows, report) = await ReportWhenAsync(test.Engine.Ledger!.Ledger, test.Clock.GetUtcNow(), requests: 1);
        Assert.Equal("claude-haiku-4-5", Assert.Single(rows).Model);
        Assert.Equal(Priced("claude-haiku-4-5", new FakeUsage(100, 10), test.Clock.GetUtcNow()), report.Totals.CostUsd);
    }

    [Fact]
    public async Task UseClaudeCache_UnderDependencyInjection_RecordsInTheRegisteredLedger()
    {
        var services = new ServiceCollection().AddClaudeCache(o => o.Storage.Provider = "memory").Services;
        services.AddChatClient(new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Hi"))
            {
                ModelId = "claude-haiku-4-5-20251001",
                Usage = new UsageDetails { InputTokenCount = 40, OutputTokenCount = 4 },
            }),
        }).UseClaudeCache();
        await using var provider = services.BuildServiceProvider();
        var chat = provider.GetRequiredService<IChatClient>();
        var ct = TestContext.Current.CancellationToken;

        await chat.GetResponseAsync("hello", cancellationToken: ct);
        await chat.GetResponseAsync("hello", cancellationToken: ct);

        Assert.Same(provider.GetRequiredService<LedgerRecorder>(), chat.GetService<ClaudeCachingChatClient>()!.Ledger);
        var now = provider.GetRequiredService<TimeProvider>().GetUtcNow();
        var (_, report) = await ReportWhenAsync(provider.GetRequiredService<SavingsLedger>(), now, requests: 2);
        Assert.Equal(1, report.Totals.Hits);
        Assert.True(report.Totals.CostUsd > 0);
        Assert.Equal(report.Totals.CostUsd, report.Totals.SavingsUsd);
    }

    [Fact]
    public async Task WithAccountingOff_NothingIsRecorded()
    {
        var options = new ClaudeCacheOptions();
        options.Storage.Provider = "memory";
        options.Costs.Enabled = false;
        var engine = ClaudeCacheEngineFactory.Create(options);
        await using (engine.Cache)
        {
            using var inner = new TestChatClient
            {
                GetResponseAsyncCallback = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Hi"))
                {
                    ModelId = "claude-sonnet-4-5",
                    Usage = new UsageDetails { InputTokenCount = 40, OutputTokenCount = 4 },
                }),
            };
            using var chat = new ChatClientBuilder(inner).UseClaudeCache(engine).Build();
            await chat.GetResponseAsync("hello", cancellationToken: TestContext.Current.CancellationToken);

            var now = DateTimeOffset.UtcNow;
            var (rows, _) = await engine.Ledger!.Ledger.QueryAsync(now - Window, now + Window, TestContext.Current.CancellationToken);
            Assert.Empty(rows);
        }
    }

    /// <summary>What the proxy would bill for <paramref name="usage"/>: the shipped prices, in the ledger's unit.</summary>
    internal static decimal Priced(string model, FakeUsage usage, DateTimeOffset at)
    {
        var tokens = new TokenUsage(usage.InputTokens, usage.OutputTokens, usage.CacheCreationInputTokens, usage.CacheRead,
            usage.CacheCreation5m, usage.CacheCreation1h, null);
        var cost = new CostCalculator(PriceTable.LoadDefault()).Calculate(model, tokens, at);
        Assert.True(cost.PriceKnown);
        return LedgerRecorder.ToNanos(cost.Total) / 1_000_000_000m;
    }

    private static Func<ReceivedRequest, FakeReply> WithUsage(FakeUsage usage) => request => DefaultResponder.Reply(request) with { Usage = usage };

    private static global::Anthropic.AnthropicClient Sdk(FakeAnthropicUpstream upstream) =>
        new() { ApiKey = "sk-ant-chat-ledger", BaseUrl = upstream.BaseAddress.ToString(), MaxRetries = 0 };

    private static Task<(IReadOnlyList<LedgerRow> Rows, SavingsReport Report)> ReportWhenAsync(SavingsLedger ledger, DateTimeOffset now, long requests) =>
        LedgerTests.ReportWhenAsync(ledger, now, requests);

    /// <summary>The proxy records its requests when their flights are judged: polls /admin/stats until it counts them.</summary>
    private static async Task<JsonElement> StatsWhenAsync(HttpClient admin, long requests)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (true)
        {
            using var stats = JsonDocument.Parse(await admin.GetStringAsync("admin/stats?window=1h", timeout.Token));
            if (stats.RootElement.GetProperty("totals").GetProperty("requests").GetInt64() >= requests)
            {
                return stats.RootElement.Clone();
            }

            await Task.Delay(10, timeout.Token);
        }
    }
}
