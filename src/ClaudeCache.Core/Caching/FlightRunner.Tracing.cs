using ClaudeCache.Telemetry;

namespace ClaudeCache.Caching;

public sealed partial class FlightRunner
{
    /// <summary>
    /// <see cref="CallAsync"/> inside the upstream call's span: from the send to the judged answer (stored, when it
    /// is). Started in the flight, whose current activity is the leading request's cache span: that is its parent.
    /// </summary>
    private async Task<FlightOutcome> TracedCallAsync(Flight flight, UpstreamSend send, StoreIntent intent, bool registered, IAsyncDisposable? lease)
    {
        var span = UpstreamSpans.Start(intent, flight.Streaming);
        if (span is null)
        {
            return await CallAsync(flight, send, intent, registered, lease).ConfigureAwait(false);
        }

        FlightOutcome outcome;
        try
        {
            outcome = await CallAsync(flight, send, intent, registered, lease).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            UpstreamSpans.Fail(span, ex);
            throw;
        }

        UpstreamSpans.End(span, flight, outcome);
        return outcome;
    }
}
