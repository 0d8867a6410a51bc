using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace ClaudeCache.Telemetry;

/// <summary>
/// Logs failures to reach the upstream API without flooding the log: an unreachable upstream fails every request,
/// and a stack trace per request (kilobytes each) buries everything else. One warning line the first time a kind
/// of failure happens (connection refused, DNS, timeout, TLS…), then at most one a minute per kind saying how many
/// more there were; every failure's stack trace at Debug.
/// </summary>
public sealed partial class UpstreamFailureLog
{
    /// <summary>The shortest time between two warnings about the same kind of failure.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (DateTimeOffset LastWarning, long Unreported)> _kinds = new(StringComparer.Ordinal);

    /// <summary>Creates the log over <paramref name="logger"/>; <paramref name="timeProvider"/> times the interval.</summary>
    public UpstreamFailureLog(ILogger logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _logger = logger;
        _timeProvider = timeProvider;
    }

    /// <summary>Records one failure; <paramref name="timedOut"/> when the caller's own deadline ended the call.</summary>
    public void Report(Exception exception, bool timedOut)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var kind = Classify(exception, timedOut);
        long? more = null;
        var first = false;
        lock (_lock)
        {
            var now = _timeProvider.GetUtcNow();
            if (!_kinds.TryGetValue(kind, out var state))
            {
                first = true;
                _kinds[kind] = (now, 0);
            }
            else if (now - state.LastWarning >= Interval)
            {
                more = state.Unreported + 1;
                _kinds[kind] = (now, 0);
            }
            else
            {
                _kinds[kind] = (state.LastWarning, state.Unreported + 1);
            }
        }

        if (first)
        {
            Log.FirstFailure(_logger, kind, exception.Message);
        }
        else if (more is { } count)
        {
            Log.MoreFailures(_logger, kind, count, exception.Message);
        }

        Log.FailureDetail(_logger, kind, exception);
    }

    /// <summary>
    /// The kind of failure, in words an operator acts on: "connection refused" (nothing listens), "DNS" (a wrong
    /// host name), "TLS" (certificates), "timeout"…
    /// </summary>
    public static string Classify(Exception exception, bool timedOut)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (timedOut)
        {
            return "timeout";
        }

        if (Find<AuthenticationException>(exception) is not null)
        {
            return "TLS";
        }

        if (Find<SocketException>(exception) is { } socket)
        {
            switch (socket.SocketErrorCode)
            {
                case SocketError.ConnectionRefused:
                    return "connection refused";
                case SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain:
                    return "DNS";
                case SocketError.TimedOut:
                    return "connect timeout";
                case SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.NetworkDown:
                    return "network unreachable";
                case SocketError.ConnectionReset or SocketError.ConnectionAborted:
                    return "connection reset";
            }
        }

        if (Find<HttpRequestException>(exception) is { } http)
        {
            return http.HttpRequestError switch
            {
                HttpRequestError.NameResolutionError => "DNS",
                HttpRequestError.SecureConnectionError => "TLS",
                HttpRequestError.ConnectionError => "connection error",
                HttpRequestError.ProxyTunnelError => "proxy",
                HttpRequestError.ResponseEnded => "connection closed",
                HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError => "invalid response",
                _ => "HTTP error",
            };
        }

        // SocketsHttpHandler.ConnectTimeout surfaces as a cancellation caused by a TimeoutException.
        return Find<TimeoutException>(exception) is not null ? "connect timeout" : exception.GetType().Name;
    }

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Warning,
            Message = "Upstream unavailable ({Kind}): {Reason}; repeats are counted and reported at most once a minute, stack traces at Debug")]
        public static partial void FirstFailure(ILogger logger, string kind, string reason);

        [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Upstream unavailable ({Kind}): {Count} more since the last warning; latest: {Reason}")]
        public static partial void MoreFailures(ILogger logger, string kind, long count, string reason);

        [LoggerMessage(EventId = 2007, Level = LogLevel.Debug, Message = "Upstream unavailable ({Kind})")]
        public static partial void FailureDetail(ILogger logger, string kind, Exception exception);
    }
}
