using ClaudeCache.Caching;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Proxy.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Proxy.Tests;

/// <summary>Shutdown waits for running flights without blocking a thread, and gives up when the host says so.</summary>
public sealed class FlightDrainTests
{
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(20);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StopAsync_WaitsForTheRunningFlight_AndEndsWhenItEnds()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Upstream.BeforeRespond = (_, aborted) => release.Task.WaitAsync(aborted);
        var runner = proxy.Services.GetRequiredService<FlightRunner>();
        var call = Requests.SendAsync(proxy.Client, Requests.Body("still running at shutdown"));
        await WaitUntilAsync(() => proxy.Upstream.MessagesCalls == 1);

        var stop = new FlightDrainService(runner).StopAsync(CancellationToken.None);
        Assert.False(stop.IsCompleted); // returned a pending task instead of blocking the caller
        Assert.Equal(1, runner.Running);
        release.SetResult();

        await stop.WaitAsync(NoHang, Token);
        Assert.Equal(0, runner.Running);
        await call.WaitAsync(NoHang, Token);
    }

    [Fact]
    public async Task StopAsync_HostShutdownTimeout_StopsWaiting()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Upstream.BeforeRespond = (_, aborted) => release.Task.WaitAsync(aborted);
        var runner = proxy.Services.GetRequiredService<FlightRunner>();
        var call = Requests.SendAsync(proxy.Client, Requests.Body("hangs through shutdown"));
        try
        {
            await WaitUntilAsync(() => proxy.Upstream.MessagesCalls == 1);
            using var hostGivesUp = new CancellationTokenSource();

            var stop = new FlightDrainService(runner).StopAsync(hostGivesUp.Token);
            await hostGivesUp.CancelAsync();

            await stop.WaitAsync(NoHang, Token); // ends, without throwing, though the flight still runs
            Assert.Equal(1, runner.Running);
        }
        finally
        {
            // The test clock never reaches the proxy's own drain bound: end the flight before the proxy stops.
            release.TrySetResult();
            await call.WaitAsync(NoHang, Token);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(NoHang);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
