using ClaudeCache.Costs;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using ClaudeCache.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// The chat middleware on the engine's flights: identical concurrent calls — streamed, not, or both — make one inner
/// call; its failure reaches every caller and is never stored or counted as a hit; a caller that cancels stops only
/// itself; the ledger records each call as the handler's requests are recorded.
/// </summary>
public sealed class ChatCoalescingTests : IAsyncDisposable
{
    private const string Question = "Price the renovation at 12 Oak Street";

    private readonly FakeTimeProvider _clock = TestEngine.NewClock();
    private readonly ClaudeCacheOptions _options = new() { Storage = { Provider = "memory" } };
    private readonly CacheEngine _engine;
    private readonly GatedChatClient _inner = new();
    private readonly IChatClient _chat;

    public ChatCoalescingTests()
    {
        _engine = ClaudeCacheEngineFactory.Create(_options, _clock);
        _chat = new ChatClientBuilder(_inner.Client).UseClaudeCache(_engine).Build();
    }

    public async ValueTask DisposeAsync()
    {
        _chat.Dispose();
        await _engine.Cache.DisposeAsync();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>One call in either form; its answer's text.</summary>
    private Task<string> AskAsync(bool stream, CancellationToken cancellationToken = default) =>
        stream ? StreamTextAsync(cancellationToken) : ResponseTextAsync(cancellationToken);

    private async Task<string> ResponseTextAsync(CancellationToken cancellationToken) =>
        (await _chat.GetResponseAsync(Question, cancellationToken: Linked(cancellationToken))).Text;

    private async Task<string> StreamTextAsync(CancellationToken cancellationToken) =>
        string.Concat((await _chat.GetStreamingResponseAsync(Question, cancellationToken: Linked(cancellationToken)).ToListAsync(Linked(cancellationToken))).Select(u => u.Text));

    private static CancellationToken Linked(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? cancellationToken : Ct;

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task ConcurrentIdenticalCalls_InEitherForm_MakeOneInnerCall(bool leaderStreams, bool followerStreams)
    {
        var leader = AskAsync(leaderStreams);
        await _inner.Started.Task.WaitAsync(Ct);
        var follower = AskAsync(followerStreams);

        // The follower joined the leader's flight (the memory tier answers at once, so it has by now).
        Assert.Equal(1, _engine.Cache.Metrics.Coalesced);
        Assert.False(follower.IsCompleted);
        _inner.Release.SetResult();
        string[] answers = [await leader, await follower, await AskAsync(leaderStreams), await AskAsync(!leaderStreams)];

        Assert.Equal(1, _inner.Calls);
        Assert.All(answers, a => Assert.Equal("Hello", a));
        var report = await ReportAsync(requests: 4);
        Assert.Equal(1, report.Totals.Misses);
        Assert.Equal(3, report.Totals.Hits);
        var priced = ChatLedgerTests.Priced(GatedChatClient.Model, new FakeUsage(900, 120), _clock.GetUtcNow());
        Assert.Equal(priced, report.Totals.CostUsd);
        Assert.Equal(3 * priced, report.Totals.SavingsUsd);
    }

    [Fact]
    public async Task StreamingFollower_ReceivesUpdates_WhileTheLeaderIsStillStreaming()
    {
        await using var leader = _chat.GetStreamingResponseAsync(Question, cancellationToken: Ct).GetAsyncEnumerator(Ct);
        Assert.True(await leader.MoveNextAsync());
        await using var follower = _chat.GetStreamingResponseAsync(Question, cancellationToken: Ct).GetAsyncEnumerator(Ct);
        Assert.True(await follower.MoveNextAsync());

        // Both have the first update while the one inner call is still held before its second.
        Assert.False(_inner.Release.Task.IsCompleted);
        Assert.Equal("Hel", leader.Current.Text);
        Assert.Equal("Hel", follower.Current.Text);

        // The leader's caller gets the inner client's own update; a follower a copy decoded from the flight.
        Assert.Same(_inner.Sent![0], leader.Current);
        Assert.NotSame(_inner.Sent[0], follower.Current);
        Assert.Equal(1, _engine.Cache.Metrics.Coalesced);
        _inner.Release.SetResult();
        var rest = new List<string>();
        while (await follower.MoveNextAsync())
        {
            rest.Add(follower.Current.Text);
        }

        Assert.Equal(["lo", ""], rest);
        Assert.Equal(1, _inner.Calls);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task FailedInnerCall_ReachesEveryCaller_IsNotStored_AndIsNoHit(bool leaderStreams, bool followerStreams)
    {
        _inner.Failure = new InvalidTimeZoneException("The inner client failed.");
        var leader = AskAsync(leaderStreams);
        await _inner.Started.Task.WaitAsync(Ct);
        var follower = AskAsync(followerStreams);
        Assert.Equal(1, _engine.Cache.Metrics.Coalesced);
        _inner.Release.SetResult();

        var leaderError = await Assert.ThrowsAsync<InvalidTimeZoneException>(() => leader);
        var followerError = await Assert.ThrowsAsync<InvalidTimeZoneException>(() => follower);
        Assert.Same(_inner.Failure, leaderError);
        Assert.Same(_inner.Failure, followerError);

        // Nothing was stored: the next call asks the inner client again.
        _inner.Failure = null;
        Assert.Equal("Hello", await AskAsync(leaderStreams));
        Assert.Equal(2, _inner.Calls);
        var report = await ReportAsync(requests: 3);
        Assert.Equal(2, report.Totals.Errors);
        Assert.Equal(1, report.Totals.Misses);
        Assert.Equal(0, report.Totals.Hits);
        Assert.Equal(0m, report.Totals.SavingsUsd);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public async Task CallerThatCancels_StopsOnlyItself_TheSharedCallCompletesAndIsStored(bool leaderCancels, bool streams)
    {
        using var leaving = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var leader = AskAsync(streams, leaderCancels ? leaving.Token : Ct);
        await _inner.Started.Task.WaitAsync(Ct);
        var follower = AskAsync(streams, leaderCancels ? Ct : leaving.Token);
        Assert.Equal(1, _engine.Cache.Metrics.Coalesced);

        leaving.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaderCancels ? leader : follower);
        Assert.False(_inner.Token.IsCancellationRequested);
        _inner.Release.SetResult();

        Assert.Equal("Hello", await (leaderCancels ? follower : leader));
        Assert.Equal("Hello", await AskAsync(!streams));
        Assert.Equal(1, _inner.Calls);

        // The caller that left still cost (a leader) or saved (a follower) what its flight did.
        var report = await ReportAsync(requests: 3);
        Assert.Equal(1, report.Totals.Misses);
        Assert.Equal(2, report.Totals.Hits);
        Assert.Equal(0, report.Totals.Errors);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task InnerCallPastTheUpstreamTimeout_FailsEveryCaller_WithATimeout(bool streams)
    {
        var leader = AskAsync(streams);
        await _inner.Started.Task.WaitAsync(Ct);
        var follower = AskAsync(!streams);

        _clock.Advance(_options.UpstreamTimeout);

        await Assert.ThrowsAsync<TimeoutException>(() => leader);
        await Assert.ThrowsAsync<TimeoutException>(() => follower);
        Assert.True(_inner.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task WithCoalescingOff_EachCallRunsAlone_AndTheAnswerIsStillStored()
    {
        using var chat = new ChatClientBuilder(_inner.Client).UseClaudeCache(_engine, o => o.CoalesceConcurrentCalls = false).Build();
        var first = chat.GetResponseAsync(Question, cancellationToken: Ct);
        await _inner.Started.Task.WaitAsync(Ct);
        var second = chat.GetStreamingResponseAsync(Question, cancellationToken: Ct).ToListAsync(Ct);
        _inner.Release.SetResult();
        await first;
        await second;

        // An answer is stored just after its caller has it: the repeat is asked once it is there.
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            deadline.CancelAfter(TimeSpan.FromSeconds(10));
            while ((await _engine.Cache.GetStatisticsAsync(deadline.Token)).MemoryEntries == 0)
            {
                await Task.Delay(10, deadline.Token);
            }
        }

        await chat.GetResponseAsync(Question, cancellationToken: Ct);

        Assert.Equal(2, _inner.Calls);
        Assert.Equal(0, _engine.Cache.Metrics.Coalesced);
    }

    /// <summary>The ledger once it counts <paramref name="requests"/>: one entry per call, no more.</summary>
    private async Task<SavingsReport> ReportAsync(long requests)
    {
        var (_, report) = await LedgerTests.ReportWhenAsync(_engine.Ledger!.Ledger, _clock.GetUtcNow(), requests);
        Assert.Equal(requests, report.Totals.Requests);
        return report;
    }
}
