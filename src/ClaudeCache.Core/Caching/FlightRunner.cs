using System.Buffers;
using System.Net;
using System.Text.Json;
using ClaudeCache.Anthropic;
using ClaudeCache.Entries;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeCache.Caching;

/// <summary>
/// Runs one upstream call for a <see cref="Flight"/>: steps 7–10 of the pipeline. It copies the upstream's bytes
/// into the flight as they arrive (every caller follows them), judges whether the answer is a complete success,
/// and stores it. It runs detached from the callers: a caller that leaves cancels nothing.
/// </summary>
public sealed partial class FlightRunner(
    ResponseCache cache,
    FlightRegistry registry,
    TimeProvider timeProvider,
    TimeSpan upstreamTimeout,
    ILogger<FlightRunner>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>Called once per flight with its outcome, after the answer was stored (the cost ledger listens).</summary>
    public Action<Flight, StoreIntent, FlightOutcome>? Completed { get; set; }

    /// <summary>
    /// Starts the call in the background and returns at once. <paramref name="registered"/> says the flight is in
    /// the <see cref="FlightRegistry"/> and must leave it when done.
    /// </summary>
    public void Start(Flight flight, UpstreamSend send, StoreIntent intent, bool registered)
    {
        ArgumentNullException.ThrowIfNull(flight);
        _ = Task.Run(() => RunAsync(flight, send, intent, registered));
    }

    private async Task RunAsync(Flight flight, UpstreamSend send, StoreIntent intent, bool registered)
    {
        FlightOutcome outcome;
        try
        {
            outcome = await CallAsync(flight, send, intent).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The flight must always end: every caller is waiting on it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.FlightFailed(_logger, ex);
            flight.SetHead(ProxyFailureHead(HttpStatusCode.BadGateway));
            flight.Body.Complete(ex);
            outcome = new FlightOutcome(null, "proxy error");
        }
        finally
        {
            if (registered)
            {
                // The answer is in the memory tier by now, so a request arriving next is a hit, not a new flight.
                registry.Remove(intent.Key, flight);
            }
        }

        flight.SetOutcome(outcome);
        Completed?.Invoke(flight, intent, outcome);
    }

    private async Task<FlightOutcome> CallAsync(Flight flight, UpstreamSend send, StoreIntent intent)
    {
        using var timeout = new CancellationTokenSource(upstreamTimeout);
        HttpResponseMessage response;
        try
        {
            response = await send(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            var timedOut = timeout.IsCancellationRequested;
            Log.UpstreamUnavailable(_logger, timedOut, ex);
            return FailLocally(flight, timedOut ? HttpStatusCode.GatewayTimeout : HttpStatusCode.BadGateway, timedOut
                ? "The upstream API did not answer in time."
                : "The upstream API could not be reached.");
        }

        using (response)
        {
            var isEventStream = response.Content.Headers.ContentType?.MediaType == "text/event-stream";
            flight.SetHead(new FlightHead((int)response.StatusCode, CopyHeaders(response, isEventStream), isEventStream));

            // Step 8: copy bytes as they arrive, recording them; the idle timeout restarts on every read.
            var parser = isEventStream ? new SseEventParser() : null;
            var accumulator = isEventStream ? new StreamAccumulator() : null;
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                await using (body.ConfigureAwait(false))
                {
                    while (true)
                    {
                        timeout.CancelAfter(upstreamTimeout);
                        var read = await body.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
                        if (read == 0)
                        {
                            break;
                        }

                        flight.Body.Append(buffer.AsSpan(0, read));
                        if (parser is not null)
                        {
                            parser.Append(buffer.AsSpan(0, read));
                            while (parser.TryRead(out var sseEvent))
                            {
                                accumulator!.Accept(sseEvent);
                            }
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
            {
                // The upstream broke off mid-body: callers see the same truncation; nothing is stored.
                Log.UpstreamBrokeOff(_logger, ex);
                flight.Body.Complete(ex);
                return new FlightOutcome(null, "upstream broke off");
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            flight.Body.Complete();

            // Step 9: only a complete success is worth keeping.
            var judged = Judge((int)response.StatusCode, flight.Body.WrittenMemory, accumulator, intent);
            Log.Judged(_logger, judged.Reason);
            if (judged.Response is not null && intent.Store)
            {
                // Step 10: the memory tier now, the second tier in the background.
                cache.Set(intent.Key, judged.Response);
            }

            return judged;
        }
    }

    private FlightOutcome Judge(int status, ReadOnlyMemory<byte> body, StreamAccumulator? accumulator, StoreIntent intent)
    {
        if (status != StatusCodes200)
        {
            return new FlightOutcome(null, "upstream error");
        }

        ReadOnlyMemory<byte> json;
        ReadOnlyMemory<byte> rawSse = default;
        if (accumulator is not null)
        {
            if (!accumulator.IsCompleteSuccess)
            {
                return new FlightOutcome(null, accumulator.SawError ? "stream error" : "stream incomplete");
            }

            json = accumulator.BuildMessageJson();
            rawSse = body.ToArray();
        }
        else
        {
            json = body.ToArray();
        }

        string model = "";
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (intent.Kind == ResponseKind.Message)
            {
                if (!root.TryGetProperty("type", out var type) || type.GetString() != "message")
                {
                    return new FlightOutcome(null, "not a message");
                }

                if (root.TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String && stop.GetString() == "pause_turn")
                {
                    return new FlightOutcome(null, "pause_turn");
                }

                model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() ?? "" : "";
            }
        }
        catch (JsonException)
        {
            return new FlightOutcome(null, "malformed upstream body");
        }

        var now = timeProvider.GetUtcNow();
        return new FlightOutcome(
            new CachedResponse
            {
                Kind = intent.Kind,
                CreatedAt = now,
                ExpiresAt = now + intent.Ttl,
                Strategy = intent.Strategy,
                Model = model,
                ContextType = intent.ContextType,
                Namespace = intent.Namespace,
                Body = json,
                RawSse = rawSse,
            },
            intent.Store ? "stored" : "not stored by policy");
    }

    private const int StatusCodes200 = 200;

    private static FlightOutcome FailLocally(Flight flight, HttpStatusCode status, string message)
    {
        var type = status == HttpStatusCode.GatewayTimeout ? ErrorTypes.Timeout : ErrorTypes.Api;
        var body = ErrorEnvelope.Create(type, message, RequestIds.New());
        flight.SetHead(ProxyFailureHead(status));
        flight.Body.Append(body);
        flight.Body.Complete();
        return new FlightOutcome(null, "upstream unavailable");
    }

    private static FlightHead ProxyFailureHead(HttpStatusCode status) => new(
        (int)status,
        [
            new("content-type", ["application/json"]),
            new("request-id", [RequestIds.New()]),
            new("x-should-retry", ["true"]),
        ],
        IsEventStream: false);

    private static List<KeyValuePair<string, string[]>> CopyHeaders(HttpResponseMessage response, bool isEventStream)
    {
        var headers = new List<KeyValuePair<string, string[]>>();
        foreach (var header in response.Headers)
        {
            if (HopByHop.IsForwardedResponseHeader(header.Key))
            {
                headers.Add(new(header.Key, header.Value.ToArray()));
            }
        }

        foreach (var header in response.Content.Headers)
        {
            // A stream's length is unknown; a JSON body keeps its length (the proxy writes the same bytes).
            if (HopByHop.IsForwardedResponseHeader(header.Key) && !(isEventStream && header.Key.Equals("content-length", StringComparison.OrdinalIgnoreCase)))
            {
                headers.Add(new(header.Key, header.Value.ToArray()));
            }
        }

        return headers;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Upstream unavailable (timed out: {TimedOut})")]
        public static partial void UpstreamUnavailable(ILogger logger, bool timedOut, Exception exception);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Upstream broke off mid-body; nothing stored")]
        public static partial void UpstreamBrokeOff(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "Upstream answer judged: {Reason}")]
        public static partial void Judged(ILogger logger, string reason);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Upstream call failed unexpectedly")]
        public static partial void FlightFailed(ILogger logger, Exception exception);
    }
}
