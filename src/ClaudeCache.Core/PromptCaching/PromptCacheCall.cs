using ClaudeCache.Caching;

namespace ClaudeCache.PromptCaching;

/// <summary>What a planner decided for one call: the marks, the sightings they stand for, and who waits for whom.</summary>
internal sealed record PlannedMarks(BreakpointPlan Plan, PrefixSighting[] Sightings, TimeSpan[] Ttls, TaskCompletionSource? Writing, List<Task> WaitFor);

/// <summary>
/// One upstream call as <see cref="PromptCachePlanner"/> planned it: the body to send, and the wrapper that waits for
/// a cold prefix another call is writing, then tells the planner when the response began.
/// </summary>
public sealed class PromptCacheCall
{
    private readonly PromptCachePlanner? _planner;
    private readonly PlannedMarks? _marks;
    private readonly string _valveKey = string.Empty;

    internal PromptCacheCall(ReadOnlyMemory<byte> body, PromptCachePlanner planner, PlannedMarks marks, string valveKey)
    {
        Body = body;
        Breakpoints = marks.Plan.Count;
        _planner = planner;
        _marks = marks;
        _valveKey = valveKey;
    }

    private PromptCacheCall(ReadOnlyMemory<byte> body, int breakpoints = 0)
    {
        Body = body;
        Breakpoints = breakpoints;
    }

    /// <summary>The body to send upstream.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Whether the planner placed breakpoints (the body is not the caller's).</summary>
    public bool Marked => Breakpoints > 0;

    /// <summary>How many breakpoints the planner placed.</summary>
    public int Breakpoints { get; }

    /// <summary>How long the call waited for another call writing the same cold prefix; null when it did not wait.</summary>
    public TimeSpan? Waited { get; private set; }

    internal static PromptCacheCall Unchanged(ReadOnlyMemory<byte> body) => new(body);

    /// <summary>A call with every structural breakpoint (<c>always</c>): nothing learned, nothing waited for.</summary>
    internal static PromptCacheCall Structural(ReadOnlyMemory<byte> body, int breakpoints) => new(body, breakpoints);

    /// <summary>
    /// The send to use: waits (bounded by <see cref="PromptCachingOptions.MaxColdPrefixWait"/>) for calls writing a
    /// prefix this call would write, so that it reads instead; then sends, and records when the response began.
    /// </summary>
    public UpstreamSend Wrap(UpstreamSend send)
    {
        ArgumentNullException.ThrowIfNull(send);
        if (_planner is null || _marks is null)
        {
            return send;
        }

        return async cancellationToken =>
        {
            var began = false;
            try
            {
                await WaitForColdPrefixAsync(cancellationToken).ConfigureAwait(false);
                var response = await send(cancellationToken).ConfigureAwait(false);
                began = true;
                _planner.Began(_marks, response.IsSuccessStatusCode);
                return response;
            }
            finally
            {
                if (!began)
                {
                    _planner.Began(_marks, succeeded: false);
                }
            }
        };
    }

    /// <summary>Feeds the planner's safety valve with the usage of the answer, once the call is judged.</summary>
    internal void Judge(Flight flight)
    {
        if (_planner is null || _marks is null)
        {
            return;
        }

        _ = flight.Outcome.ContinueWith(
            judged =>
            {
                if (judged.IsCompletedSuccessfully && judged.Result.Response is { } answer && !judged.Result.ServedFromCache)
                {
                    _planner.Judged(_valveKey, answer.ReadUsage(out _));
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task WaitForColdPrefixAsync(CancellationToken cancellationToken)
    {
        if (_marks!.WaitFor.Count == 0)
        {
            return;
        }

        var time = _planner!.Time;
        var started = time.GetTimestamp();
        _planner.WaitStarted();
        try
        {
            await Task.WhenAll(_marks.WaitFor).WaitAsync(_planner.MaxColdPrefixWait, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Bounded: past the wait, the call writes the prefix itself.
        }
        finally
        {
            _planner.WaitEnded();
            Waited = time.GetElapsedTime(started);
        }
    }
}
