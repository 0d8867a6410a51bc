using Microsoft.Extensions.Logging;

namespace ClaudeCache.Caching;

public sealed partial class FlightRunner
{
    /// <summary>
    /// Starts a flight whose answer a <see cref="FlightProducer"/> makes in-process (the <c>IChatClient</c>
    /// middleware's inner client) and returns at once. Everything around the call is an upstream call's: the
    /// cross-instance lease (an instance that finds it taken replays the holder's stored answer instead of producing
    /// one), the upstream timeout, storing only an answer produced in full, leaving the registry, draining, and
    /// <see cref="Completed"/>.
    /// </summary>
    public void Start(Flight flight, FlightProducer produce, StoreIntent intent, bool registered)
    {
        ArgumentNullException.ThrowIfNull(flight);
        ArgumentNullException.ThrowIfNull(produce);
        ArgumentNullException.ThrowIfNull(intent);
        Interlocked.Increment(ref _running);
        _ = Task.Run(() => RunAsync(flight, lease => ProduceAsync(flight, produce, intent, registered, lease), intent, registered));
    }

    private async Task<FlightOutcome> ProduceAsync(Flight flight, FlightProducer produce, StoreIntent intent, bool registered, IAsyncDisposable? lease)
    {
        var writer = new FlightWriter(flight);
        using var total = new CancellationTokenSource(upstreamTimeout, timeProvider);
        ProducedAnswer answer;
        try
        {
            answer = await produce(writer, total.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Any failure of the producer is the flight's outcome: every caller gets it, nothing is stored.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var timedOut = total.IsCancellationRequested;
            Log.ProducerFailed(_logger, timedOut, ex);
            Unregister(flight, intent, registered);
            writer.Fail(timedOut ? new TimeoutException($"The call did not end within the upstream timeout ({upstreamTimeout}).", ex) : ex);
            return new FlightOutcome(null, timedOut ? "timed out" : "call failed");
        }

        var store = answer.Storable && intent.Store;
        var judged = new FlightOutcome(
            Entry(intent, answer.Body, default, answer.Model),
            store ? "stored" : answer.Storable ? "not stored by policy" : "not final");
        Log.Judged(_logger, judged.Reason);
        if (!store)
        {
            // An answer that will not be stored must not be handed to a request that arrives after it ended.
            Unregister(flight, intent, registered);
        }

        writer.Complete();
        if (store)
        {
            await StoreAsync(intent, judged, lease).ConfigureAwait(false);
        }

        return judged;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2010, Level = LogLevel.Debug, Message = "A produced call failed (timed out: {TimedOut}); its callers get the failure, nothing stored")]
        public static partial void ProducerFailed(ILogger logger, bool timedOut, Exception exception);
    }
}
