using ClaudeCache.Caching;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using ClaudeCache.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// The chat middleware on two application instances over one real Redis: identical calls arriving on both at once
/// make one inner call — the engine's cross-instance coalescer, as for the handler's requests.
/// </summary>
public sealed class ChatRedisCoalescingTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private const string Question = "Qualify the lead: pre-approved, $750k, 30 days";

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task IdenticalCallsOnTwoInstances_MakeOneInnerCall_TheOtherInstanceHasAHit(bool streamsOnA, bool streamsOnB)
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var clock = TestEngine.NewClock();
        var settings = redis.Settings(RedisServerFixture.NewPrefix());
        await using var a = AppInstance.Create(upstream, clock, settings);
        await using var b = AppInstance.Create(upstream, clock, settings);
        var inner = new GatedChatClient();
        using var chatA = new ChatClientBuilder(inner.Client).UseClaudeCache(a.Engine).Build();
        using var chatB = new ChatClientBuilder(inner.Client).UseClaudeCache(b.Engine).Build();
        var ct = TestContext.Current.CancellationToken;

        var onA = AskAsync(chatA, streamsOnA, ct);
        await inner.Started.Task.WaitAsync(ct);

        // A holds the key's lease while its inner call runs (it takes the lease before calling). B misses, and its
        // flight finds the lease taken: it waits for A's answer in Redis instead of calling.
        var onB = AskAsync(chatB, streamsOnB, ct);
        await WaitUntilAsync(() => b.Services.GetRequiredService<FlightRunner>().Running == 1);
        inner.Release.SetResult();
        var answers = await Task.WhenAll(onA, onB);

        Assert.Equal(1, inner.Calls);
        Assert.All(answers, answer => Assert.Equal("Hello", answer));
        Assert.Equal(0, b.Cache.Metrics.Coalesced);

        // B's flushed first (its query adds its own counts), then A's: the shared ledger holds one miss and one hit.
        var now = clock.GetUtcNow();
        await LedgerTests.ReportWhenAsync(b.Ledger, now, requests: 1);
        var (_, report) = await LedgerTests.ReportWhenAsync(a.Ledger, now, requests: 2);
        Assert.Equal(2, report.Totals.Requests);
        Assert.Equal(1, report.Totals.Misses);
        Assert.Equal(1, report.Totals.Hits);
        Assert.True(report.Totals.CostUsd > 0);
        Assert.Equal(report.Totals.CostUsd, report.Totals.SavingsUsd);
    }

    private static async Task<string> AskAsync(IChatClient chat, bool stream, CancellationToken cancellationToken) => stream
        ? string.Concat((await chat.GetStreamingResponseAsync(Question, cancellationToken: cancellationToken).ToListAsync(cancellationToken)).Select(u => u.Text))
        : (await chat.GetResponseAsync(Question, cancellationToken: cancellationToken)).Text;

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
