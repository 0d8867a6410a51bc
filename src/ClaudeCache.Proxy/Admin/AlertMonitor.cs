using ClaudeCache.Costs;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Admin;

/// <summary>
/// Evaluates the alert rules on a timer (from the <see cref="TimeProvider"/>, so tests drive it with a fake clock):
/// each rule fires and clears once per crossing, as a structured log entry, in <c>/admin/alerts</c>, on the
/// dashboard, and as a JSON POST to the webhook when one is configured.
/// </summary>
internal sealed partial class AlertMonitor : IAsyncDisposable
{
    private readonly AlertOptions _options;
    private readonly SavingsLedger _ledger;
    private readonly ClaudeCacheMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly IHttpClientFactory _httpClients;
    private readonly ILogger<AlertMonitor> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, AlertState> _states = [];
    private readonly List<(DateTimeOffset At, long StoreErrors)> _storeErrorSamples = [];
    private readonly ITimer? _timer;
    private DateTimeOffset? _evaluatedAt;

    public AlertMonitor(IOptions<ProxyOptions> options, SavingsLedger ledger, ClaudeCacheMetrics metrics, TimeProvider time, IHttpClientFactory httpClients, ILogger<AlertMonitor> logger)
    {
        _options = options.Value.Alerts;
        _ledger = ledger;
        _metrics = metrics;
        _time = time;
        _httpClients = httpClients;
        _logger = logger;
        foreach (var rule in _options.Rules)
        {
            _states[rule.Name] = new AlertState(rule.Name, rule.Kind.ToString(), rule.Threshold, rule.Window, false, null, null);
        }

        if (_options.Rules.Count > 0)
        {
            _timer = time.CreateTimer(_ => _ = EvaluateQuietlyAsync(), null, _options.EvaluationInterval, _options.EvaluationInterval);
        }
    }

    public const string WebhookClientName = "alerts-webhook";

    /// <summary>Every rule's state.</summary>
    public AlertsResponse Snapshot()
    {
        lock (_states)
        {
            return new AlertsResponse(_evaluatedAt, _options.Rules.Select(r => _states[r.Name]).ToList());
        }
    }

    /// <summary>Evaluates every rule now.</summary>
    public async Task EvaluateAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            SampleStoreErrors(now);
            foreach (var rule in _options.Rules)
            {
                var (rows, _) = await _ledger.QueryAsync(now - rule.Window, now, cancellationToken).ConfigureAwait(false);
                var figures = SavingsAnalytics.Figures(rule.Name, rows);
                var value = figures.Requests < rule.MinRequests ? (double?)null : Value(rule, figures, now);
                await ApplyAsync(rule, value, now, cancellationToken).ConfigureAwait(false);
            }

            lock (_states)
            {
                _evaluatedAt = now;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    private double? Value(AlertRule rule, SavingsFigures figures, DateTimeOffset now) => rule.Kind switch
    {
        AlertKind.HitRatioBelow => figures.HitRatio,
        AlertKind.SpendPerHourAbove => (double)figures.CostUsd / rule.Window.TotalHours,
        AlertKind.UpstreamErrorRateAbove => (double)figures.Errors / figures.Requests,
        AlertKind.StoreErrorRateAbove => (double)StoreErrorsSince(now - rule.Window) / figures.Requests,
        _ => null,
    };

    private async Task ApplyAsync(AlertRule rule, double? value, DateTimeOffset now, CancellationToken cancellationToken)
    {
        AlertState previous;
        lock (_states)
        {
            previous = _states[rule.Name];
        }

        var breached = value is { } v && (rule.Kind == AlertKind.HitRatioBelow ? v < rule.Threshold : v > rule.Threshold);
        // Too little data keeps the current state: an alert neither fires nor clears on silence.
        var firing = value is null ? previous.Firing : breached;
        var changed = firing != previous.Firing;
        var state = previous with { Value = value, Firing = firing, Since = changed ? now : previous.Since };
        lock (_states)
        {
            _states[rule.Name] = state;
        }

        if (!changed)
        {
            return;
        }

        var kind = rule.Kind.ToString();
        if (firing)
        {
            Log.AlertFiring(_logger, rule.Name, kind, value ?? double.NaN, rule.Threshold);
        }
        else
        {
            Log.AlertResolved(_logger, rule.Name, kind, value ?? double.NaN, rule.Threshold);
        }

        await NotifyAsync(new AlertNotification(firing ? "firing" : "resolved", rule.Name, rule.Kind.ToString(), value, rule.Threshold, rule.Window.TotalSeconds, now), cancellationToken).ConfigureAwait(false);
    }

    private async Task NotifyAsync(AlertNotification notification, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(_options.WebhookUrl))
        {
            return;
        }

        try
        {
            var client = _httpClients.CreateClient(WebhookClientName);
            using var response = await client.PostAsJsonAsync(_options.WebhookUrl, notification, AdminJsonContext.Default.AlertNotification, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                Log.WebhookRejected(_logger, (int)response.StatusCode);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Log.WebhookFailed(_logger, ex);
        }
    }

    private void SampleStoreErrors(DateTimeOffset now)
    {
        _storeErrorSamples.Add((now, _metrics.StoreErrors));
        var horizon = now - _options.Rules.Select(r => r.Window).DefaultIfEmpty(TimeSpan.Zero).Max() - _options.EvaluationInterval;
        _storeErrorSamples.RemoveAll(s => s.At < horizon);
    }

    private long StoreErrorsSince(DateTimeOffset start)
    {
        var baseline = _storeErrorSamples.Where(s => s.At <= start).Select(s => s.StoreErrors).DefaultIfEmpty(_storeErrorSamples[0].StoreErrors).Last();
        return _storeErrorSamples[^1].StoreErrors - baseline;
    }

    private async Task EvaluateQuietlyAsync()
    {
        try
        {
            await EvaluateAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed evaluation is logged and retried at the next tick; it must not crash the timer.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.EvaluationFailed(_logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Alert {Rule} firing: {Kind} value {Value} crossed {Threshold}")]
        public static partial void AlertFiring(ILogger logger, string rule, string kind, double value, double threshold);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Alert {Rule} resolved: {Kind} value {Value} back within {Threshold}")]
        public static partial void AlertResolved(ILogger logger, string rule, string kind, double value, double threshold);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Alert webhook answered {Status}")]
        public static partial void WebhookRejected(ILogger logger, int status);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Alert webhook failed")]
        public static partial void WebhookFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 4005, Level = LogLevel.Error, Message = "Alert evaluation failed")]
        public static partial void EvaluationFailed(ILogger logger, Exception exception);
    }
}
