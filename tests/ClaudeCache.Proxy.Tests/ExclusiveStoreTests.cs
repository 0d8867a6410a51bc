using System.Net;
using ClaudeCache.Proxy.Cli;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// <c>ClaudeCache:Storage:SqliteExclusive</c> with the real proxy in its own process: SQLite's <c>unix-excl</c> VFS
/// keeps the WAL index in the proxy's heap, so there is no <c>-shm</c> file for anyone to truncate or make immutable
/// under it, and the proxy holds the file for itself, which other processes (the CLI's <c>--db</c>, a second proxy)
/// are told in one clear line.
/// </summary>
public sealed class ExclusiveStoreTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ExclusiveStore_ServesAndStoresWithoutAShmFile_AndShutsOtherProcessesOutClearly()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var database = TempFiles.NewDatabasePath();
        await using var proxy = await StartProxyAsync(upstream.BaseAddress, database);

        var (miss, _) = await Requests.SendAsync(proxy.Client, Requests.Body("exclusive"));
        Assert.Equal(HttpStatusCode.OK, miss.StatusCode);
        Assert.Equal("MISS", miss.Header("x-cache"));
        await HitAsync(proxy, "exclusive");

        Assert.True(File.Exists(database + "-wal"), "no WAL: the store is not in WAL mode");
        Assert.False(File.Exists(database + "-shm"), "a -shm file exists: the WAL index is mapped, and can be faulted");

        // The CLI in this process, on the proxy's file: one line, pointing at --url.
        foreach (var (exitCode, error) in new[]
                 {
                     await StatsAsync(new StatsArguments { Database = database }),
                     await EstimateAsync(new EstimateArguments { Database = database, Days = "7" }),
                 })
        {
            Assert.Equal(1, exitCode);
            var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("held by another process", line, StringComparison.Ordinal);
            Assert.Contains("use --url", line, StringComparison.Ordinal);
        }

        // A second proxy on the held file starts, answers from the upstream, and says once why it has no store.
        await using (var second = await StartProxyAsync(upstream.BaseAddress, database))
        {
            var (answer, _) = await Requests.SendAsync(second.Client, Requests.Body("second"));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            await UntilAsync(() => Task.FromResult(second.Output.Contains("SqliteSecondTier[2109]", StringComparison.Ordinal)), $"the held file is logged: {second.Output}");
            Assert.False(second.HasExited, $"The second proxy died (exit {second.ExitCode}): {second.Output}");

            // Its stop waits out a last ledger flush on the held file (the busy timeout), then exits cleanly.
            Assert.Equal(0, await second.StopAsync());
        }

        Assert.False(proxy.HasExited, $"The proxy died (exit {proxy.ExitCode}): {proxy.Output}");
        await HitAsync(proxy, "exclusive");
        Assert.Equal(0, await proxy.StopAsync());

        // Released at exit: any process opens the file again, and finds what the first proxy stored (not the second's).
        Assert.Equal(1, await CountEntriesAsync(database));
    }

    /// <summary>The answer is stored just after its caller has it: asks again until it is a hit.</summary>
    private static async Task HitAsync(ServingProxyProcess proxy, string prompt) =>
        await UntilAsync(async () =>
        {
            var (response, _) = await Requests.SendAsync(proxy.Client, Requests.Body(prompt));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Header("x-cache") == "HIT";
        }, "a hit");

    /// <summary>Asks <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after 30 seconds.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            try
            {
                await Task.Delay(50, timeout.Token);
            }
            catch (OperationCanceledException) when (!Token.IsCancellationRequested)
            {
                Assert.Fail("Still waiting for " + what);
            }
        }
    }

    private static Task<ServingProxyProcess> StartProxyAsync(Uri upstream, string database)
    {
        var settings = database + $".{Guid.NewGuid():N}.settings.json";
        File.WriteAllText(settings, """{ "ClaudeCache": { "Storage": { "SqliteExclusive": true } } }""");
        return ServingProxyProcess.StartAsync(upstream, database, "--config", settings);
    }

    private static async Task<(int ExitCode, string Error)> StatsAsync(StatsArguments arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await StatsCommand.RunAsync(arguments, output, error, Token);
        return (exitCode, error.ToString());
    }

    private static async Task<(int ExitCode, string Error)> EstimateAsync(EstimateArguments arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await EstimateCommand.RunAsync(arguments, output, error, TimeProvider.System, Token);
        return (exitCode, error.ToString());
    }

    private static async Task<long> CountEntriesAsync(string database)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM entries";
        return (long)(await command.ExecuteScalarAsync(Token))!;
    }
}
