namespace ClaudeCache.Warming;

/// <summary>
/// Sends a <see cref="WarmingProfile"/>'s requests, at most <see cref="WarmingProfile.Concurrency"/> at a time,
/// through a sender (HTTP to a proxy: <see cref="HttpWarmingSender"/>; or anything else), and sums up what happened.
/// A request that fails is reported once and never retried: warming is an optimisation, and a retry loop against a
/// failing upstream would spend money to make things worse.
/// </summary>
public sealed class CacheWarmer
{
    private readonly Func<WarmingRequest, CancellationToken, Task<WarmingResult>> _send;
    private readonly TimeProvider _time;

    /// <param name="send">Sends one request and classifies its answer. An exception it throws counts as that request's failure.</param>
    /// <param name="time">The clock for elapsed times (default: the system's).</param>
    public CacheWarmer(Func<WarmingRequest, CancellationToken, Task<WarmingResult>> send, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(send);
        _send = send;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Sends every request of <paramref name="profile"/> once and returns the summary, results in the profile's order.
    /// </summary>
    /// <param name="profile">The profile.</param>
    /// <param name="concurrency">Overrides the profile's limit when given (1..<see cref="WarmingProfile.MaxConcurrency"/>).</param>
    /// <param name="progress">Called after each request, from the sending task (keep it quick and thread-safe).</param>
    /// <param name="cancellationToken">Stops starting new requests and cancels those in flight.</param>
    public async Task<WarmingSummary> WarmAsync(
        WarmingProfile profile,
        int? concurrency = null,
        Action<WarmingResult>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var limit = concurrency ?? profile.Concurrency;
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(concurrency));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, WarmingProfile.MaxConcurrency, nameof(concurrency));

        var started = _time.GetTimestamp();
        using var gate = new SemaphoreSlim(limit, limit);
        var tasks = new List<Task<WarmingResult>>(profile.Requests.Count);
        try
        {
            foreach (var request in profile.Requests)
            {
                // Waiting here, not inside the task, keeps at most `limit` tasks alive and starts them in the profile's order.
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                tasks.Add(SendOneAsync(request, gate, progress, cancellationToken));
            }
        }
        catch (OperationCanceledException)
        {
            // Let the requests in flight end (they see the same token) before the gate is disposed.
            await Task.WhenAll(tasks).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }

        var results = await Task.WhenAll(tasks).ConfigureAwait(false);
        return new WarmingSummary(profile.Name, limit, results, _time.GetElapsedTime(started));
    }

    private async Task<WarmingResult> SendOneAsync(WarmingRequest request, SemaphoreSlim gate, Action<WarmingResult>? progress, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        WarmingResult result;
        try
        {
            result = await _send(request, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            result = WarmingResult.Failure(request, ex.Message, _time.GetElapsedTime(started));
        }
        finally
        {
            gate.Release();
        }

        progress?.Invoke(result);
        return result;
    }
}
