using ClaudeCache.Anthropic;
using ClaudeCache.Costs;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Tests.Costs;

/// <summary>The prompt-cache effect in the calculator, the ledger and its memory store (retention included).</summary>
public sealed class PromptCacheLedgerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly CostCalculator calculator = new(PriceTable.LoadDefault());

    [Theory]
    // Haiku 5.5 above its 100,000-token tier: every prompt token at the tier's 0.50 input (120,000 × 0.50 / 1M).
    [InlineData("claude-haiku-5-5", 10_000, 50_000, 60_000, "0.06")]
    // The same below the tier: 0.10 input (90,000 × 0.10 / 1M).
    [InlineData("claude-haiku-5-5", 10_000, 50_000, 30_000, "0.009")]
    // Opus 5.5 reads at 0.20 of a 4.00 input: without the cache all 100,000 read tokens are input (100,000 × 4 / 1M).
    [InlineData("claude-opus-5-5", 0, 0, 100_000, "0.4")]
    public void WithoutPromptCache_PricesEveryPromptTokenAsInput_AtTheTierOfTheWholePrompt(string model, long input, long write5m, long read, string expected)
    {
        var usage = new TokenUsage(input, 500, write5m, read, write5m, 0, null);

        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), calculator.WithoutPromptCache(model, usage, Now));
    }

    [Fact]
    public void WithoutPromptCache_OfAnUnknownModel_IsUnknown() =>
        Assert.Null(calculator.WithoutPromptCache("claude-mystery-9", new TokenUsage(100, 1, 0, 0, 0, 0, null), Now));

    [Fact]
    public async Task MarkedEntries_AreCountedAndSummed_UnmarkedOnesNot_AndRetentionKeepsTheSums()
    {
        var clock = new FakeTimeProvider(Now);
        await using var ledger = new SavingsLedger(new MemoryLedgerStore(), clock, Timeout.InfiniteTimeSpan);
        LedgerEntry Entry(int minutes, PromptCacheEffect effect) =>
            new(Now.AddMinutes(minutes), "claude-sonnet-4-5", "standard", "chat", "t", LedgerOutcome.Miss, default, 1_000, 0, true, TimeSpan.Zero, effect);

        ledger.Record(Entry(1, new PromptCacheEffect(true, -937_500, 4_687_500)));
        ledger.Record(Entry(2, new PromptCacheEffect(true, 3_375_000, 0)));
        ledger.Record(Entry(3, default));
        var from = Now.AddDays(-1);
        var before = await ReportAsync(ledger, from, Now.AddHours(1));
        clock.SetUtcNow(Now.AddDays(40));
        await ledger.PruneAsync(TestContext.Current.CancellationToken);
        var after = await ReportAsync(ledger, from, Now.AddHours(1));

        Assert.Equal(2, before.Totals.PromptCacheMarkedCalls);
        Assert.Equal(0.0024375m, before.Totals.PromptCacheSavedUsd);
        Assert.Equal(0.0046875m, before.Totals.PromptCacheWriteCostUsd);
        Assert.Equal(3, before.Totals.Requests);
        Assert.Equal(before.Totals, after.Totals);
        var rows = (await ledger.QueryAsync(from, Now.AddHours(1), TestContext.Current.CancellationToken)).Rows;
        Assert.Equal(Now.ToUnixTimeSeconds() / 60 / 1440 * 1440, Assert.Single(rows).Minute);
    }

    private static async Task<SavingsReport> ReportAsync(SavingsLedger ledger, DateTimeOffset from, DateTimeOffset to)
    {
        var (rows, latency) = await ledger.QueryAsync(from, to, TestContext.Current.CancellationToken);
        return SavingsAnalytics.Build(rows, latency, from, to, null, 0);
    }
}
