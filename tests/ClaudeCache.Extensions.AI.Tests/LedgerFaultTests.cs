using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// The ledger made alone over a SQLite file (<c>ClaudeCacheEngineFactory.CreateLedger(options, time, logs)</c>) is
/// behind the same WAL index check as the cache's stores: a <c>-shm</c> file cut under this process's mapping would be
/// a SIGBUS that ends the process (the test host here), so the ledger must refuse to touch it and fail as a store error.
/// </summary>
public sealed class LedgerFaultTests
{
    [Fact]
    public async Task CreateLedger_WalIndexTruncatedUnderItsMapping_FailsAsAStoreError_InsteadOfCrashing()
    {
        var path = TempFiles.NewDatabasePath();
        var options = new ClaudeCacheOptions { Storage = { Provider = "sqlite", SqlitePath = path } };
        var ledger = ClaudeCacheEngineFactory.CreateLedger(options, TimeProvider.System, NullLoggerFactory.Instance);
        await using (ledger)
        {
            var now = DateTimeOffset.UtcNow;
            await ledger.QueryAsync(now.AddHours(-1), now, TestContext.Current.CancellationToken); // opens the file: the -shm is mapped
            Assert.True(new FileInfo(path + "-shm").Length > 0);

            // Another process cuts the file under the mapping: any access past the new end is a SIGBUS.
            await using (var file = new FileStream(path + "-shm", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
            {
                file.SetLength(0);
            }

            var error = await Assert.ThrowsAsync<IOException>(() => ledger.QueryAsync(now.AddHours(-1), now, TestContext.Current.CancellationToken));
            Assert.Contains("WAL index", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task CreateLedger_WalIndexMissing_IsCreatedAsUsual()
    {
        var path = TempFiles.NewDatabasePath();
        var options = new ClaudeCacheOptions { Storage = { Provider = "sqlite", SqlitePath = path } };
        var ledger = ClaudeCacheEngineFactory.CreateLedger(options, TimeProvider.System, NullLoggerFactory.Instance);
        await using (ledger)
        {
            var now = DateTimeOffset.UtcNow;
            var (rows, _) = await ledger.QueryAsync(now.AddHours(-1), now, TestContext.Current.CancellationToken);
            Assert.Empty(rows);
            Assert.True(File.Exists(path + "-shm"));
        }
    }
}
