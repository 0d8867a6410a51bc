using ClaudeCache.Extensions.AI;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Warming;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Warming;

/// <summary>
/// Runs the profiles of <c>ClaudeCache:Warming:Profiles</c> on the <see cref="TimeProvider"/>'s timers (so tests
/// drive them with a fake clock): the first run <see cref="WarmingOptions.StartDelay"/> after the server started,
/// then every interval. Requests go over HTTP to the proxy's own loopback address, so they take exactly the path —
/// policy, tenant, key, coalescing, ledger — that real traffic takes. A run still going when the next is due is not
/// doubled up; failed requests are logged and wait for the next run.
/// </summary>
internal sealed partial class ScheduledWarming : IHostedService, IAsyncDisposable
{
    private readonly ProxyOptions _options;
    private readonly TimeSpan _upstreamTimeout;
    private readonly TimeProvider _time;
    private readonly IServer _server;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<ScheduledWarming> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Schedule> _schedules = [];
    private readonly List<Task> _runs = [];
    private readonly List<WarmingSummary> _completed = [];
    private CancellationTokenRegistration _started;
    private HttpClient? _client;

    public ScheduledWarming(IOptions<ProxyOptions> options, IOptions<ClaudeCacheOptions> engine, TimeProvider time, IServer server, IHostApplicationLifetime lifetime, ILogger<ScheduledWarming> logger)
    {
        _options = options.Value;
        _upstreamTimeout = engine.Value.UpstreamTimeout;
        _time = time;
        _server = server;
        _lifetime = lifetime;
        _logger = logger;
    }

    /// <summary>Every finished run, oldest first.</summary>
    public IReadOnlyList<WarmingSummary> Completed
    {
        get
        {
            lock (_completed)
            {
                return [.. _completed];
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Warming.Profiles.Count > 0)
        {
            // The proxy's own address is known only once Kestrel listens (port 0 picks one).
            _started = _lifetime.ApplicationStarted.Register(Begin);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var schedule in _schedules)
        {
            if (schedule.Timer is { } timer)
            {
                await timer.DisposeAsync().ConfigureAwait(false);
            }
        }

        Task[] runs;
        lock (_runs)
        {
            runs = [.. _runs];
        }

        await Task.WhenAll(runs).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _started.DisposeAsync().ConfigureAwait(false);
        foreach (var schedule in _schedules)
        {
            if (schedule.Timer is { } timer)
            {
                await timer.DisposeAsync().ConfigureAwait(false);
            }
        }

        _client?.Dispose();
        _stopping.Dispose();
    }

    private void Begin()
    {
        var address = _server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null)
        {
            Log.NoAddress(_logger);
            return;
        }

        var baseAddress = Loopback(address);
        // Longer than the proxy's own upstream timeout: the proxy answers 504 first, and that is the error to report.
        _client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = _upstreamTimeout + TimeSpan.FromMinutes(1) };
        var warming = _options.Warming;
        for (var i = 0; i < warming.Profiles.Count; i++)
        {
            var entry = warming.Profiles[i];
            WarmingProfile profile;
            try
            {
                profile = WarmingProfile.Load(entry.File);
            }
            catch (WarmingProfileException ex)
            {
                Log.ProfileUnreadable(_logger, i, ex.Message);
                continue;
            }

            var interval = entry.Interval ?? profile.Interval;
            var sender = new HttpWarmingSender(_client, baseAddress, warming.KeyFor(entry), _time);
            var schedule = new Schedule(profile, entry.Concurrency, new CacheWarmer(sender.SendAsync, _time));
            _schedules.Add(schedule);
            schedule.Timer = _time.CreateTimer(_ => Fire(schedule), null, warming.StartDelay, interval ?? Timeout.InfiniteTimeSpan);
            Log.Scheduled(_logger, profile.Name, profile.Requests.Count, warming.StartDelay, interval);
        }
    }

    private void Fire(Schedule schedule)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        if (!schedule.TryEnter())
        {
            Log.StillRunning(_logger, schedule.Profile.Name);
            return;
        }

        var run = RunAsync(schedule);
        lock (_runs)
        {
            _runs.RemoveAll(t => t.IsCompleted);
            _runs.Add(run);
        }
    }

    private async Task RunAsync(Schedule schedule)
    {
        await Task.Yield(); // off the timer's thread
        try
        {
            var summary = await schedule.Warmer.WarmAsync(schedule.Profile, schedule.Concurrency, cancellationToken: _stopping.Token).ConfigureAwait(false);
            foreach (var failure in summary.Results.Where(r => r.Outcome == WarmingOutcome.Failed))
            {
                Log.RequestFailed(_logger, summary.Profile, failure.Request.Name, failure.Error ?? "");
            }

            Log.Completed(_logger, summary.Profile, summary.Sent, summary.AlreadyCached, summary.Warmed, summary.PromptWarmed, summary.NotCached, summary.Failed, summary.Elapsed.TotalMilliseconds);
            lock (_completed)
            {
                _completed.Add(summary);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // shutting down
        }
        catch (Exception ex)
        {
            Log.RunFailed(_logger, schedule.Profile.Name, ex);
        }
        finally
        {
            schedule.Exit();
        }
    }

    /// <summary>A listening address as a loopback URL: <c>http://[::]:8787</c> and <c>http://+:8787</c> become <c>http://127.0.0.1:8787</c>.</summary>
    internal static Uri Loopback(string address)
    {
        var schemeEnd = address.IndexOf("://", StringComparison.Ordinal);
        var rest = address[(schemeEnd + 3)..];
        var portStart = rest.LastIndexOf(':');
        var host = portStart > 0 ? rest[..portStart] : rest;
        var hostAndRest = host is "+" or "*" or "0.0.0.0" or "[::]" ? "127.0.0.1" + rest[host.Length..] : rest;
        return new Uri(address[..(schemeEnd + 3)] + hostAndRest.TrimEnd('/') + "/");
    }

    private sealed class Schedule(WarmingProfile profile, int? concurrency, CacheWarmer warmer)
    {
        public WarmingProfile Profile { get; } = profile;

        public int? Concurrency { get; } = concurrency;

        public CacheWarmer Warmer { get; } = warmer;

        private int _running;

        public ITimer? Timer { get; set; }

        /// <summary>False while a run of this profile is still going.</summary>
        public bool TryEnter() => Interlocked.CompareExchange(ref _running, 1, 0) == 0;

        public void Exit() => Volatile.Write(ref _running, 0);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Warming profile {Profile} ({Requests} requests) scheduled: first run in {Delay}, then every {Interval} (none: once)")]
        public static partial void Scheduled(ILogger logger, string profile, int requests, TimeSpan delay, TimeSpan? interval);

        [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Warming profile {Profile}: {Sent} sent, {AlreadyCached} already cached, {Warmed} warmed, {PromptWarmed} prompt prefixes pre-warmed, {NotCached} not cached, {Failed} failed in {ElapsedMs:0} ms")]
        public static partial void Completed(ILogger logger, string profile, int sent, int alreadyCached, int warmed, int promptWarmed, int notCached, int failed, double elapsedMs);

        [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Warming profile {Profile}: request {Request} failed: {Error}")]
        public static partial void RequestFailed(ILogger logger, string profile, string request, string error);

        [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Warming profile {Profile} is still running; this run is skipped")]
        public static partial void StillRunning(ILogger logger, string profile);

        [LoggerMessage(EventId = 6005, Level = LogLevel.Error, Message = "Warming profile {Profile} failed")]
        public static partial void RunFailed(ILogger logger, string profile, Exception exception);

        [LoggerMessage(EventId = 6006, Level = LogLevel.Error, Message = "Warming profile ClaudeCache:Warming:Profiles:{Index} not scheduled: {Problem}")]
        public static partial void ProfileUnreadable(ILogger logger, int index, string problem);

        [LoggerMessage(EventId = 6007, Level = LogLevel.Error, Message = "Warming not scheduled: the server has no address")]
        public static partial void NoAddress(ILogger logger);
    }
}
