using ClaudeCache.Costs;
using ClaudeCache.Storage.Sqlite;

namespace ClaudeCache.Tests.Storage.Sqlite;

/// <summary>The request log on a real SQLite file: every field round-trips, oldest first; pruning by age, then by count.</summary>
public sealed class SqliteRequestLogTests
{
    private static RequestLogRow Row(long atMs, string key) => new()
    {
        AtMs = atMs, Tenant = "a1b2c3d4e5f6", Key = key, Strategy = "standard", Context = "ctx", Model = "claude-sonnet-4-5", Outcome = "miss",
        Lookup = true, Store = true, TtlSeconds = 21_600, InputTokens = 1_200, OutputTokens = 300, CostNanos = 8_100_000, AvoidedNanos = 0,
    };

    private static string NewPath()
    {
        var path = Path.Combine(Path.GetTempPath(), "claudecache-tests", Guid.NewGuid().ToString("N") + ".db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    [Fact]
    public async Task Rows_RoundTrip_InTimeOrder_AndArePrunedByAgeThenByCount()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = SqliteLedgerStore.OpenGuarded(NewPath());
        var rows = Enumerable.Range(0, 50).Select(i => Row(1_000_000 + ((49 - i) * 1_000), $"{i:x16}")).ToList();
        rows[7] = rows[7] with { Outcome = "hit", Lookup = false, Store = false, CostNanos = 0, AvoidedNanos = 42 };
        await store.AddRequestsAsync(rows, TimeSpan.FromDays(7), ct);

        var read = await store.QueryRequestsAsync(0, long.MaxValue, ct);
        Assert.Equal(rows.OrderBy(r => r.AtMs), read);
        Assert.Equal(10, (await store.QueryRequestsAsync(1_000_000, 1_010_000, ct)).Count);

        // Age: rows before 1,010,000 go (10 of them); count: of the 40 left, the newest 25 stay.
        await store.PruneRequestsAsync(1_010_000, 25, ct);
        var kept = await store.QueryRequestsAsync(0, long.MaxValue, ct);
        Assert.Equal(25, kept.Count);
        Assert.Equal(rows.Max(r => r.AtMs), kept[^1].AtMs);
        Assert.Equal(1_025_000, kept[0].AtMs);
    }
}
