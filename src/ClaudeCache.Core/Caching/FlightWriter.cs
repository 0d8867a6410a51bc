namespace ClaudeCache.Caching;

/// <summary>
/// Where a <see cref="FlightProducer"/> writes: the flight's body, which every caller of the flight follows as it
/// grows. The first write publishes the flight's head (a success); a producer that fails before writing publishes a
/// failed head instead, so a follower knows it shares a failure.
/// </summary>
public sealed class FlightWriter
{
    /// <summary>The status of a flight whose producer threw: the call failed, and no answer was produced.</summary>
    public const int FailedStatusCode = 502;

    private readonly Flight _flight;
    private int _started;

    internal FlightWriter(Flight flight) => _flight = flight;

    /// <summary>Appends bytes (written whole: a reader never sees part of one write) and wakes every reader.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        Start(200);
        _flight.Body.Append(bytes);
    }

    /// <summary>Ends the body after a produced answer.</summary>
    internal void Complete()
    {
        Start(200);
        _flight.Body.Complete();
    }

    /// <summary>Ends the body with <paramref name="fault"/>: every reader gets it after the bytes written so far.</summary>
    internal void Fail(Exception fault)
    {
        Start(FailedStatusCode);
        _flight.Body.Complete(fault);
    }

    private void Start(int status)
    {
        if (Volatile.Read(ref _started) == 0 && Interlocked.Exchange(ref _started, 1) == 0)
        {
            _flight.SetHead(new FlightHead(status, [], _flight.Streaming));
        }
    }
}
