using ClaudeCache.Costs;
using ClaudeCache.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Tests.Storage.Sqlite;

/// <summary>A ledger file written before the prompt-cache columns existed keeps working, and its rows keep adding up.</summary>
public sealed class SqliteLedgerMigrationTests
{
    // The ledger table as the release before the prompt-cache columns created it.
    private const string OldLedger = """
        CREATE TABLE ledger (
            minute INTEGER NOT NULL, model TEXT NOT NULL, strategy TEXT NOT NULL, context TEXT NOT NULL,
            tenant TEXT NOT NULL, outcome TEXT NOT NULL,
            requests INTEGER NOT NULL, price_unknown INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
            cache_write_5m_tokens INTEGER NOT NULL, cache_write_1h_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
            avoided_input_tokens INTEGER NOT NULL, avoided_output_tokens INTEGER NOT NULL,
            cost_nanos INTEGER NOT NULL, avoided_nanos INTEGER NOT NULL, latency_micros INTEGER NOT NULL,
            PRIMARY KEY (minute, model, strategy, context, tenant, outcome)) WITHOUT ROWID;
        INSERT INTO ledger VALUES (1441, 'claude-sonnet-4-5', 'standard', '', 't', 'miss', 2, 0, 100, 50, 0, 0, 0, 0, 0, 9000, 0, 10);
        """;

    private static LedgerRow Row(long minute, long saved) => new()
    {
        Minute = minute, Model = "claude-sonnet-4-5", Strategy = "standard", Tenant = "t", Outcome = "miss", Requests = 1, CostNanos = 1000,
        PromptCacheCalls = 1, PromptCacheSavedNanos = saved, PromptCacheWriteNanos = 3750,
    };

    [Fact]
    public async Task AFileFromTheEarlierSchema_GetsTheColumnsAtZero_AndAddsAndFoldsThem()
    {
        var path = Path.Combine(Path.GetTempPath(), "claudecache-tests", Guid.NewGuid().ToString("N") + ".db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = OldLedger;
            command.ExecuteNonQuery();
        }

        var ct = TestContext.Current.CancellationToken;
        var store = new SqliteLedgerStore(path);
        var old = Assert.Single(await store.QueryAsync(0, 3000, ct));
        await store.AddAsync([Row(1441, -2_000), Row(1442, 5_000)], [], ct);
        // Another process opening the migrated file finds the columns there.
        var reopened = new SqliteLedgerStore(path);
        await reopened.AddAsync([Row(1442, 1_000)], [], ct);
        var rows = (await reopened.QueryAsync(0, 3000, ct)).ToDictionary(r => r.Minute);
        await reopened.PruneAsync(foldBeforeMinute: 2880, deleteBeforeMinute: 0, ct);
        var day = Assert.Single(await reopened.QueryAsync(0, 3000, ct));

        Assert.Equal((2, 9000, 0, 0L), (old.Requests, old.CostNanos, old.PromptCacheCalls, old.PromptCacheSavedNanos));
        Assert.Equal((3, 1, -2_000L, 3750L), (rows[1441].Requests, rows[1441].PromptCacheCalls, rows[1441].PromptCacheSavedNanos, rows[1441].PromptCacheWriteNanos));
        Assert.Equal((2, 6_000L), (rows[1442].PromptCacheCalls, rows[1442].PromptCacheSavedNanos));
        // Retention folds the day's minutes into its first minute: the new counters add up like the others.
        Assert.Equal(1440, day.Minute);
        Assert.Equal((5, 3, 4_000L, 3 * 3750L, 12_000L), (day.Requests, day.PromptCacheCalls, day.PromptCacheSavedNanos, day.PromptCacheWriteNanos, day.CostNanos));
    }
}
