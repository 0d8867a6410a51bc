using ClaudeCache.Anthropic;
using ClaudeCache.Costs;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Tests.Costs;

/// <summary>The recorder's entries for a front end without a prepared request (the IChatClient middleware).</summary>
public sealed class LedgerRecorderTests : IAsyncDisposable
{
    private static readonly LedgerDimensions Chat = new("standard", "", "0123456789ab");

    private static readonly TokenUsage Usage = new(1_000, 200, 300, 4_000, 300, 0, null);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly SavingsLedger _ledger;
    private readonly LedgerRecorder _recorder;

    public LedgerRecorderTests()
    {
        _ledger = new SavingsLedger(new MemoryLedgerStore(), _clock, Timeout.InfiniteTimeSpan);
        _recorder = new LedgerRecorder(_ledger, new CostCalculator(PriceTable.LoadDefault()), new ClaudeCacheMetrics(null), _clock);
    }

    public ValueTask DisposeAsync() => _ledger.DisposeAsync();

    private decimal Price(string model) => new CostCalculator(PriceTable.LoadDefault()).Calculate(model, Usage, _clock.GetUtcNow()).Total;

    [Fact]
    public void Upstream_SpendsTheUsagePriced_AndAHitAvoidsIt()
    {
        var miss = _recorder.RecordUpstream(Chat, LedgerOutcome.Miss, "claude-sonnet-4-5-20250929", Usage, TimeSpan.FromMilliseconds(900));
        var hit = _recorder.RecordHit(Chat, "claude-sonnet-4-5-20250929", Usage, TimeSpan.FromMilliseconds(1));

        var expected = LedgerRecorder.ToNanos(Price("claude-sonnet-4-5-20250929"));
        Assert.True(expected > 0);
        Assert.Equal((expected, 0L, true), (miss.CostNanos, miss.AvoidedNanos, miss.PriceKnown));
        Assert.Equal((0L, expected, true), (hit.CostNanos, hit.AvoidedNanos, hit.PriceKnown));
        Assert.Equal(("standard", "", "0123456789ab", LedgerOutcome.Hit), (hit.Strategy, hit.ContextType, hit.Tenant, hit.Outcome));
        Assert.Equal(Usage, hit.Usage);
    }

    [Theory]
    [InlineData("claude-mystery-9")]
    [InlineData("")]
    [InlineData(null)]
    public void UnknownModel_IsPriceUnknown_NeverFree(string? model)
    {
        var miss = _recorder.RecordUpstream(Chat, LedgerOutcome.Miss, model, Usage, TimeSpan.Zero);
        var hit = _recorder.RecordHit(Chat, model, Usage, TimeSpan.Zero);

        Assert.False(miss.PriceKnown);
        Assert.False(hit.PriceKnown);
        Assert.Equal(0, miss.CostNanos + hit.AvoidedNanos);
        Assert.Equal(model ?? "", miss.Model);
    }

    [Fact]
    public void NoUsage_IsPriceUnknown()
    {
        var miss = _recorder.RecordUpstream(Chat, LedgerOutcome.Bypass, "claude-sonnet-4-5", null, TimeSpan.Zero);
        var hit = _recorder.RecordHit(Chat, "claude-sonnet-4-5", null, TimeSpan.Zero);

        Assert.Equal((LedgerOutcome.Bypass, false, 0L), (miss.Outcome, miss.PriceKnown, miss.CostNanos));
        Assert.Equal((LedgerOutcome.Hit, false, 0L), (hit.Outcome, hit.PriceKnown, hit.AvoidedNanos));
    }

    [Fact]
    public void Error_SpendsNothing_EvenWithUsage()
    {
        var error = _recorder.RecordUpstream(Chat, LedgerOutcome.Error, "claude-sonnet-4-5", Usage, TimeSpan.Zero);

        Assert.Equal((LedgerOutcome.Error, 0L, 0L, true), (error.Outcome, error.CostNanos, error.AvoidedNanos, error.PriceKnown));
        Assert.Equal(default, error.Usage);
    }

    [Fact]
    public async Task Disabled_RecordsNothing()
    {
        var recorder = new LedgerRecorder(_ledger, new CostCalculator(PriceTable.LoadDefault()), new ClaudeCacheMetrics(null), _clock, enabled: false);

        recorder.RecordUpstream(Chat, LedgerOutcome.Miss, "claude-sonnet-4-5", Usage, TimeSpan.Zero);
        recorder.RecordHit(Chat, "claude-sonnet-4-5", Usage, TimeSpan.Zero);

        var now = _clock.GetUtcNow();
        var (rows, _) = await _ledger.QueryAsync(now.AddHours(-1), now.AddHours(1), TestContext.Current.CancellationToken);
        Assert.Empty(rows);
    }
}
