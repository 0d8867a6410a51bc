using System.Net;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// A graceful stop of the real proxy process (SIGTERM, as an orchestrator sends) waits for the upstream calls still
/// running (<c>FlightDrainService</c>, up to 10 s): their answers reach their callers and are stored, and the process
/// then exits 0. The command line's own handling of SIGTERM must not cut that short.
/// </summary>
public sealed class ShutdownTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sigterm_WhileACallRuns_WaitsForIt_AnswersAndStoresIt_ThenExitsZero()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        upstream.BeforeRespond = (_, aborted) => release.Task.WaitAsync(aborted);
        var database = TempFiles.NewDatabasePath();
        await using var proxy = await ServingProxyProcess.StartAsync(upstream.BaseAddress, database);

        var call = Requests.SendAsync(proxy.Client, Requests.Body("still running at shutdown"));
        Assert.True(await Polling.UntilAsync(() => upstream.MessagesCalls == 1), "the call never reached the upstream");
        await proxy.TerminateAsync();

        // Past System.CommandLine's default of 2 s for a command to end after SIGTERM, the call still runs and the
        // process still waits for it.
        await Task.Delay(TimeSpan.FromSeconds(3), Token);
        Assert.False(proxy.HasExited, $"The proxy exited (code {proxy.ExitCode}) with a call running: {proxy.Output}");

        release.SetResult();
        var (response, _) = await call.WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, await proxy.StopAsync());
        Assert.Contains("claudecache stopped", proxy.Output, StringComparison.Ordinal);

        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM entries";
        Assert.Equal(1L, Convert.ToInt64(await command.ExecuteScalarAsync(Token), System.Globalization.CultureInfo.InvariantCulture));
    }
}
