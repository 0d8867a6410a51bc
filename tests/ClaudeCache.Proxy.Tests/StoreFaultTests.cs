using System.Diagnostics;
using System.Net;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Telemetry;
using ClaudeCache.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// Faults of the SQLite file under a running proxy. SQLite's WAL index (the <c>-shm</c> file) is mapped into memory,
/// and a fault on a mapping is a SIGBUS that kills the process, so these run the real proxy in its own process: a
/// crash fails the test instead of ending the test host. Every request must still be answered, and the process
/// must stay up and stop cleanly.
/// </summary>
public sealed class StoreFaultTests
{
    private const int RequestsDuringFault = 8;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ImmutableWalIndex_ProxyStaysUpServesEveryRequestAndResumesStoringWhenWritable()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var database = TempFiles.NewDatabasePath();
        var shm = database + "-shm";
        await using var proxy = await ServingProxyProcess.StartAsync(upstream.BaseAddress, database);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(proxy, "before the fault"));
        await StoredAsync(database, 1);
        await LedgerFlushedAsync(database);

        // Written-back pages of the mapping are write-protected again: the next write through it faults.
        Run("sync");
        Assert.SkipUnless(Run("chattr", "+i", shm), "chattr +i needs root and a file system with attributes.");
        try
        {
            var statuses = await FaultedRoundAsync(proxy);

            Assert.True(statuses.TrueForAll(status => status == HttpStatusCode.OK), Diagnosis(proxy, statuses));
            Assert.False(proxy.HasExited, $"The proxy died (exit {proxy.ExitCode}): {proxy.Output}");
            Assert.Equal(1, Count(proxy.Output, "SqliteSecondTier[2105]")); // logged once, not per request
        }
        finally
        {
            Run("chattr", "-i", shm);
        }

        Assert.Equal(HttpStatusCode.OK, await PostAsync(proxy, "after the fault"));
        await StoredAsync(database, 2); // stored again: "before" and "after"; nothing from during the fault
        Assert.Contains("SqliteSecondTier[2106]", proxy.Output, StringComparison.Ordinal);
        Assert.Equal(0, await proxy.StopAsync());
    }

    [Fact]
    public async Task WalIndexTruncatedUnderTheProxy_ProxyStaysUpServesEveryRequestAndStopsCleanly()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var database = TempFiles.NewDatabasePath();
        await using var proxy = await ServingProxyProcess.StartAsync(upstream.BaseAddress, database);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(proxy, "before the fault"));
        await StoredAsync(database, 1);
        await LedgerFlushedAsync(database);

        // Another process cuts the file under the proxy's mapping: any access past the new end is a SIGBUS.
        await using (var file = new FileStream(database + "-shm", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.SetLength(0);
        }

        var statuses = await FaultedRoundAsync(proxy);

        Assert.True(statuses.TrueForAll(status => status == HttpStatusCode.OK), Diagnosis(proxy, statuses));
        Assert.False(proxy.HasExited, $"The proxy died (exit {proxy.ExitCode}): {proxy.Output}");
        Assert.Equal(1, Count(proxy.Output, "SqliteSecondTier[2105]"));
        Assert.Equal(0, await proxy.StopAsync()); // closing the connections must not touch the mapping either
    }

    [Fact]
    public async Task DatabaseDeletedUnderTheProxy_IsCountedAsAStoreErrorAndLaterAnswersAreStoredInANewFile()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var metrics = proxy.Services.GetRequiredService<ClaudeCacheMetrics>();
        Assert.Equal(HttpStatusCode.OK, (await Requests.SendAsync(proxy.Client, Requests.Body("before the delete"))).Response.StatusCode);
        await proxy.SettleAsync();
        File.Delete(proxy.DatabasePath);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await Requests.SendAsync(proxy.Client, Requests.Body($"after the delete {i}"))).Response.StatusCode);
        }

        await proxy.SettleAsync();
        Assert.Equal(1, metrics.StoreErrors); // the one operation that found the file gone
        await StoredAsync(proxy.DatabasePath, 5); // no answer after the delete was lost
    }

    /// <summary>
    /// Sends misses (each a store write), a repeat (a read) and waits for a ledger flush (a write on its own
    /// connections) or the end of the process.
    /// </summary>
    private static async Task<List<HttpStatusCode>> FaultedRoundAsync(ServingProxyProcess proxy)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < RequestsDuringFault && !proxy.HasExited; i++)
        {
            statuses.Add(await PostAsync(proxy, $"during the fault {i}"));
        }

        statuses.Add(await PostAsync(proxy, "before the fault"));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (!proxy.HasExited && !proxy.Output.Contains("SavingsLedger[3001]", StringComparison.Ordinal))
        {
            await Task.Delay(50, timeout.Token);
        }

        return statuses;
    }

    // A status 0 is a request the process did not answer: say whether it died, and what it logged.
    private static string Diagnosis(ServingProxyProcess proxy, List<HttpStatusCode> statuses) =>
        $"statuses {string.Join(", ", statuses.Select(s => (int)s))}; exited {proxy.HasExited}; output: {proxy.Output}";

    private static async Task<HttpStatusCode> PostAsync(ServingProxyProcess proxy, string text)
    {
        try
        {
            using var response = await proxy.Client.SendAsync(Requests.Post(Requests.Body(text)), Token);
            await response.Content.ReadAsByteArrayAsync(Token);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0; // the process is gone
        }
    }

    /// <summary>Waits until the file holds <paramref name="entries"/> entries (writes reach it in the background).</summary>
    private static async Task StoredAsync(string database, int entries)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            await using (var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False"))
            {
                await connection.OpenAsync(timeout.Token);
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT COUNT(*) FROM entries";
                var count = Convert.ToInt32(await command.ExecuteScalarAsync(timeout.Token), System.Globalization.CultureInfo.InvariantCulture);
                if (count == entries)
                {
                    return;
                }

                Assert.True(count < entries, $"{count} entries stored, expected {entries}");
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>
    /// Waits until the ledger flush of the request before the fault has written its counts and its request-log row.
    /// That flush runs on the proxy's timer, outside any request; a fault landing while one of its statements runs
    /// is a fault no check can stop (docs/decisions/0018), so the fault is injected once it is done, and the first
    /// SQLite work after it is the guarded kind these tests are about.
    /// </summary>
    private static async Task LedgerFlushedAsync(string database)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            await using (var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False"))
            {
                await connection.OpenAsync(timeout.Token);
                await using var command = connection.CreateCommand();
                command.CommandText = """
                    SELECT (SELECT COUNT(*) FROM sqlite_master WHERE name IN ('ledger', 'request_log')) = 2
                        AND (SELECT COUNT(*) FROM pragma_table_info('request_log')) > 0
                    """;
                if (Convert.ToInt64(await command.ExecuteScalarAsync(timeout.Token), System.Globalization.CultureInfo.InvariantCulture) == 1)
                {
                    command.CommandText = "SELECT (SELECT COUNT(*) FROM ledger) > 0 AND (SELECT COUNT(*) FROM request_log) > 0";
                    if (Convert.ToInt64(await command.ExecuteScalarAsync(timeout.Token), System.Globalization.CultureInfo.InvariantCulture) == 1)
                    {
                        return;
                    }
                }
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    private static int Count(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    internal static bool Run(string command, params string[] arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            process.WaitForExit(30_000);
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not on this machine
        }
    }
}
