using ClaudeCache.Costs;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>The in-process handler writes the request log the estimate replays, into the same SQLite file as the proxy.</summary>
public sealed class EstimateLibraryTests
{
    [Fact]
    public async Task Handler_LogsEachRequest_AndTheCurrentEstimateIsWhatItRealised_BelowTheCeiling()
    {
        await using var test = await TestEngine.StartAsync(sqlitePath: TempFiles.NewDatabasePath());
        using var client = test.Sdk();
        var ct = TestContext.Current.CancellationToken;
        var parameters = HandlerTests.Params("Estimate 12 Oak Street");
        var start = test.Clock.GetUtcNow();

        await client.Messages.Create(parameters, ct);  // miss
        await client.Messages.Create(parameters, ct);  // hit
        await JudgedAsync(test);                       // the ledger stamps a miss when its call is judged: before the clock moves
        test.Clock.Advance(TimeSpan.FromHours(7));     // past the standard strategy's 6 hours
        await client.Messages.Create(parameters, ct);  // miss
        await client.Messages.Create(parameters, ct);  // hit
        Assert.Equal(2, test.Upstream.MessagesCalls);

        var ledger = test.Engine.Ledger!.Ledger;
        await JudgedAsync(test);
        var (ledgerRows, latency) = await ledger.QueryAsync(start, test.Clock.GetUtcNow(), ct);
        var stats = SavingsAnalytics.Build(ledgerRows, latency, start, test.Clock.GetUtcNow(), null, 0m);
        Assert.Equal(4, stats.Totals.Requests);
        var rows = await ledger.QueryRequestsAsync(start, test.Clock.GetUtcNow(), ct);
        var report = SavingsEstimator.Estimate(rows, start, test.Clock.GetUtcNow(), []);

        Assert.Equal(4, rows.Count);
        Assert.Single(rows.Select(r => r.Key).Distinct());
        Assert.All(rows, r => Assert.Equal((RequestLogRow.KeyLength, "standard", 6 * 3600L), (r.Key.Length, r.Strategy, r.TtlSeconds)));
        Assert.Equal(2, report.Realised.Hits);
        Assert.Equal(stats.Totals.SavingsUsd, report.Realised.SavingsUsd);
        Assert.Equal((report.Realised.Hits, report.Realised.SavingsUsd), (report.Scenarios[0].Hits, report.Scenarios[0].SavingsUsd));
        Assert.Equal(3, report.Scenarios[^1].Hits);
        Assert.Equal(2.0 / 3, report.Realised.FractionOfCeiling!.Value, 6);
    }

    private static async Task JudgedAsync(TestEngine test)
    {
        while (test.Engine.Ledger!.AwaitingJudgement > 0)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }
}
