using ClaudeCache.Caching;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// Waits, at shutdown, for the upstream calls still running: their answers were paid for and are stored once they
/// end. Hosted services stop after the server has stopped taking requests and before the container disposes the
/// store, which is the window this needs; the wait is asynchronous and gives up at <see cref="Timeout"/> or when
/// the host's own shutdown timeout cancels it.
/// </summary>
internal sealed class FlightDrainService(FlightRunner runner) : IHostedService
{
    /// <summary>The longest shutdown waits for running flights.</summary>
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken) =>
        await runner.DrainAsync(Timeout).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
}
