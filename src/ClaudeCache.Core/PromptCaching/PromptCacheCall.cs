using ClaudeCache.Caching;

namespace ClaudeCache.PromptCaching;

/// <summary>What a planner decided for one call: the marks, the sightings they stand for, and who waits for whom.</summary>
/// <remarks><see cref="Writes"/>: the identities of the cold prefixes this call writes, shortest first.</remarks>
internal sealed record PlannedMarks(
    BreakpointPlan Plan, PrefixSighting[] Sightings, TimeSpan[] Ttls, TaskCompletionSource? Writing, List<Task> WaitFor, UInt128[] Writes);

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
            var claims = new List<IAsyncDisposable>();
            try
            {
                await WaitForColdPrefixAsync(claims, cancellationToken).ConfigureAwait(false);
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

                // The response began (or the call failed): other instances waiting for these prefixes send now.
                foreach (var claim in claims)
                {
                    await claim.DisposeAsync().ConfigureAwait(false);
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

    /// <summary>
    /// Waits for the calls in this process writing a prefix this call would write, then takes the cross-instance
    /// lease of each cold prefix it writes, shortest first, into <paramref name="claims"/>; at the first one another
    /// instance holds, it waits for that instance's response to begin instead (two calls sharing a prefix share every
    /// shorter one, so taking them in that order never deadlocks). All of it within
    /// <see cref="PromptCachingOptions.MaxColdPrefixWait"/>; past it, or when the shared store fails, the call writes
    /// the prefix itself.
    /// </summary>
    private async Task WaitForColdPrefixAsync(List<IAsyncDisposable> claims, CancellationToken cancellationToken)
    {
        var time = _planner!.Time;
        var started = time.GetTimestamp();
        var waiting = false;
        try
        {
            // With the wait off (MaxColdPrefixWait 0) nothing waits, and nothing is counted as waiting.
            if (_marks!.WaitFor.Count > 0 && _planner.MaxColdPrefixWait > TimeSpan.Zero)
            {
                waiting = StartWaiting();
                try
                {
                    await Task.WhenAll(_marks.WaitFor).WaitAsync(_planner.MaxColdPrefixWait, time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Bounded: past the wait, the call writes the prefix itself.
                    return;
                }
            }

            if (_planner.Instances is not { } instances)
            {
                return;
            }

            foreach (var identity in _marks.Writes)
            {
                var key = LeaseKey(identity);
                var left = _planner.MaxColdPrefixWait - time.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    return;
                }

                var claim = await instances.TryAcquireAsync(key, _planner.MaxColdPrefixWait, cancellationToken).ConfigureAwait(false);
                if (claim is not null)
                {
                    claims.Add(claim);
                    continue;
                }

                waiting = waiting || StartWaiting();
                await instances.WaitForReleaseOrValueAsync(key, left, cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The shared store failed (or timed out): never worse than without it, the call writes the prefix itself.
        }
        finally
        {
            if (waiting)
            {
                _planner.WaitEnded();
                Waited = time.GetElapsedTime(started);
            }
        }
    }

    private bool StartWaiting()
    {
        _planner!.WaitStarted();
        return true;
    }

    // The prefix identity is seeded with the tenant partition and the model: no two tenants share a lease.
    private static string LeaseKey(UInt128 identity) => "prompt-" + identity.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);
}
