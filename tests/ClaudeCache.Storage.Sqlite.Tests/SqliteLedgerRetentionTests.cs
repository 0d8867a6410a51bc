using ClaudeCache.Costs;
using ClaudeCache.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Tests.Storage.Sqlite;

/// <summary>Retention on a real SQLite file: old minutes are folded into days (the totals still add up), then deleted.</summary>
public sealed class SqliteLedgerRetentionTests
{
    [Fact]
    public async Task MinutesOlderThanTheRetention_AreFoldedIntoDays_AndReportsStillAddUp()
    {
        var path = Path.Combine(Path.GetTempPath(), "claudecache-tests", Guid.NewGuid().ToString("N") + ".db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var ct = TestContext.Current.CancellationToken;
        var start = clock.GetUtcNow();
        await using var ledger = new SavingsLedger(new SqliteLedgerStore(path), clock, Timeout.InfiniteTimeSpan);
        for (var day = 0; day < 40; day++)
        {
            for (var minute = 0; minute < 30; minute++)
            {
                foreach (var context in new[] { "a", "b" })
                {
                    ledger.Record(new LedgerEntry(start.AddDays(day).AddMinutes(minute * 37), "claude-sonnet-4-5", "standard", context, "t",
                        minute % 3 == 0 ? LedgerOutcome.Miss : LedgerOutcome.Hit, default, minute % 3 == 0 ? 1_000 : 0, minute % 3 == 0 ? 0 : 1_000, true, TimeSpan.FromMilliseconds(minute)));
                }
            }
        }

        clock.SetUtcNow(start.AddDays(40));
        var now = clock.GetUtcNow();
        var before = await ReportAsync(ledger, now.AddDays(-41), now);
        var beforeRecent = await ReportAsync(ledger, now.AddDays(-3), now);
        var rowsBefore = Count(path, "ledger");

        await ledger.PruneAsync(ct);
        await ledger.PruneAsync(ct); // repeating changes nothing

        var after = await ReportAsync(ledger, now.AddDays(-41), now);
        var afterRecent = await ReportAsync(ledger, now.AddDays(-3), now);
        Assert.Equal(40 * 30 * 2, rowsBefore);
        // Days 0..4 (older than 35 days) are one row per day and dimension; the 35 newer days keep their minutes.
        Assert.Equal((5 * 2 * 2) + (35 * 30 * 2), Count(path, "ledger"));
        Assert.Equal(before.Totals, after.Totals);
        Assert.Equal(beforeRecent.Totals, afterRecent.Totals);
        Assert.Equal(before.HitLatency.Count, after.HitLatency.Count);

        // Past the day retention (400 days) even the days go.
        clock.SetUtcNow(start.AddDays(500));
        await ledger.PruneAsync(ct);
        Assert.Equal(0, Count(path, "ledger"));
        Assert.Equal(0, Count(path, "ledger_latency"));
    }

    private static async Task<SavingsReport> ReportAsync(SavingsLedger ledger, DateTimeOffset from, DateTimeOffset to)
    {
        var (rows, latency) = await ledger.QueryAsync(from, to, TestContext.Current.CancellationToken);
        return SavingsAnalytics.Build(rows, latency, from, to, null, 0);
    }

    private static long Count(string path, string table)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }
}
