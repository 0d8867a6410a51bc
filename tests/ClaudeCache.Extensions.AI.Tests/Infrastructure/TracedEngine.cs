using System.Collections.Concurrent;
using System.Diagnostics;
using ClaudeCache.Telemetry;

namespace ClaudeCache.Extensions.AI.Tests.Infrastructure;

/// <summary>
/// An in-process engine whose spans a test reads (docs/traces.md): a listener on the library's source and on the
/// test's own caller source, and the spans it saw end. The listener is process-wide, so a test finds its spans by the
/// trace id of the caller activity it started (<see cref="StartCaller"/>).
/// </summary>
public sealed class TracedEngine : IAsyncDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;
    private readonly ActivitySource _caller;

    private TracedEngine(string callerSource)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ClaudeCacheTracing.SourceName || s.Name == callerSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
        _caller = new ActivitySource(callerSource);
    }

    public TestEngine Test { get; private set; } = null!;

    public CacheEngine Engine => Test.Engine;

    /// <summary>Listens to the library and to a caller source named <paramref name="callerSource"/>, then starts the engine.</summary>
    public static async Task<TracedEngine> StartAsync(string callerSource)
    {
        var traced = new TracedEngine(callerSource);
        try
        {
            traced.Test = await TestEngine.StartAsync();
            return traced;
        }
        catch
        {
            traced.StopListening();
            throw;
        }
    }

    /// <summary>The caller's activity, a root of its own trace: the library's spans of a call made inside it are under it.</summary>
    public Activity StartCaller() => _caller.StartActivity("caller") ?? throw new InvalidOperationException("The caller source has no listener.");

    /// <summary>The spans of <paramref name="trace"/> that have ended so far (the caller's included once it has).</summary>
    public IEnumerable<Activity> InTrace(ActivityTraceId trace) => _stopped.Where(s => s.TraceId == trace);

    /// <summary>The one cache span of <paramref name="trace"/>.</summary>
    public Activity CacheSpan(ActivityTraceId trace) =>
        Assert.Single(InTrace(trace), s => s.OperationName == ClaudeCacheTracing.CacheSpanName);

    /// <summary>The one upstream span (the library's client span) of <paramref name="trace"/>.</summary>
    public Activity UpstreamSpan(ActivityTraceId trace) =>
        Assert.Single(InTrace(trace), s => s.Kind == ActivityKind.Client && s.Source.Name == ClaudeCacheTracing.SourceName);

    /// <summary>
    /// Waits until the library's two spans of a call that went upstream (the cache span and the upstream span) have
    /// ended: the upstream span ends once its call is judged, just after the caller has its answer. Gives up after
    /// ten seconds without failing; the test's assertions on the spans then say what is missing.
    /// </summary>
    public async Task WaitForCallSpansAsync(ActivityTraceId trace)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(10));
        while (InTrace(trace).Count(s => s.Source.Name == ClaudeCacheTracing.SourceName) < 2 && !bound.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(10, bound.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                // The bound: the assertions that follow report the missing span.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Test.DisposeAsync();
        StopListening();
    }

    private void StopListening()
    {
        _caller.Dispose();
        _listener.Dispose();
    }
}
