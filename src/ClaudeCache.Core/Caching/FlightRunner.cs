using System.Buffers;
using System.Net;
using System.Text.Json;
using ClaudeCache.Anthropic;
using ClaudeCache.Entries;
using ClaudeCache.Pipeline;
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

    // One warning per kind of failure, then counts: an unreachable upstream fails every request.
    private readonly Telemetry.UpstreamFailureLog _upstreamFailures = new((ILogger?)logger ?? NullLogger.Instance, timeProvider);

    /// <summary>
    /// Coalescing across instances (Redis): when set, a flight first takes the key's lease; an instance that finds the
    /// lease taken waits for the holder's answer in the shared tier instead of calling upstream.
    /// </summary>
    public IDistributedCoalescer? Coalescer { get; set; }

    /// <summary>
    /// How long a lease lasts: the longest a dead holder can keep others waiting. A live holder renews it every third
    /// of it for as long as its call runs, so an answer may take longer than one lease.
    /// </summary>
    public TimeSpan DistributedLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The first-byte and idle bounds of an upstream call, by form, under the total timeout given to the constructor.
    /// Validated when set.
    /// </summary>
    /// <exception cref="ArgumentException">A bound is zero or negative.</exception>
    public UpstreamTimeouts Timeouts
    {
        get => _timeouts;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            _timeouts = value;
        }
    }

    private UpstreamTimeouts _timeouts = new();

    /// <summary>Called once per flight with its outcome, after the answer was stored (the cost ledger listens).</summary>
    public Action<Flight, StoreIntent, FlightOutcome>? Completed { get; set; }

    /// <summary>
    /// Starts the call in the background and returns at once. <paramref name="registered"/> says the flight is in
    /// the <see cref="FlightRegistry"/> and must leave it when done.
    /// </summary>
    public void Start(Flight flight, UpstreamSend send, StoreIntent intent, bool registered)
    {
        ArgumentNullException.ThrowIfNull(flight);
        Interlocked.Increment(ref _running);
        _ = Task.Run(() => RunAsync(flight, lease => TracedCallAsync(flight, send, intent, registered, lease), intent, registered));
    }

    private int _running;

    /// <summary>Flights still running (their callers may be gone; their answers not yet stored).</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>
    /// Waits until every running flight has ended (and handed its answer to the store), at most
    /// <paramref name="timeout"/>: a shutdown must not drop answers that were already paid for.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        Task drained;
        lock (_drainGate)
        {
            if (Running == 0)
            {
                return;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            drained = _drained.Task;
        }

        // Woken by the last flight to end, not by polling; the bound runs on the TimeProvider.
        await drained.WaitAsync(timeout, timeProvider).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private readonly Lock _drainGate = new();
    private TaskCompletionSource? _drained;

    private void FlightEnded()
    {
        if (Interlocked.Decrement(ref _running) != 0)
        {
            return;
        }

        lock (_drainGate)
        {
            if (Running == 0 && _drained is { } drained)
            {
                _drained = null;
                drained.SetResult();
            }
        }
    }

    // The call itself, given the cross-instance lease when this instance holds one (null: none).
    private delegate Task<FlightOutcome> LeasedCall(IAsyncDisposable? lease);

    private async Task RunAsync(Flight flight, LeasedCall call, StoreIntent intent, bool registered)
    {
        FlightOutcome outcome;
        try
        {
            outcome = await CallCoalescedAsync(flight, call, intent, registered).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The flight must always end: every caller is waiting on it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.FlightFailed(_logger, ex);
            flight.SetHead(ProxyFailureHead(HttpStatusCode.BadGateway, RequestIds.New()));
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
        try
        {
            Completed?.Invoke(flight, intent, outcome);
        }
        finally
        {
            FlightEnded();
        }
    }

    private async Task<FlightOutcome> CallCoalescedAsync(Flight flight, LeasedCall call, StoreIntent intent, bool registered)
    {
        if (!registered || !intent.Store || Coalescer is not { } coalescer)
        {
            // A caller that looked up just before the previous flight for this key stored its answer, and joined just
            // after that flight left the registry, leads a new one: it looks once more (memory only) before calling.
            if (registered && intent.Store && !intent.Replaces
                && await cache.GetFreshFromMemoryAsync(intent.Key, CancellationToken.None).ConfigureAwait(false) is { } stored)
            {
                return ReplayStored(flight, stored, "stored by the previous flight");
            }

            return await call(lease: null).ConfigureAwait(false);
        }

        var hex = intent.Key.ToHex();
        IAsyncDisposable? lease = null;
        try
        {
            lease = await coalescer.TryAcquireAsync(hex, DistributedLease, CancellationToken.None).ConfigureAwait(false);
            if (lease is null)
            {
                // Another instance is calling: wait for its answer in the shared tier. The holder renews its lease while
                // it receives, so wait as long as its call may run; a holder that dies stops renewing, and its lease
                // runs out within one lease, which ends the wait.
                await coalescer.WaitForReleaseOrValueAsync(hex, upstreamTimeout + DistributedLease, CancellationToken.None).ConfigureAwait(false);
                if (await cache.GetAsync(intent.Key, CancellationToken.None).ConfigureAwait(false) is { } stored)
                {
                    return ReplayStored(flight, stored);
                }

                // The holder failed or died without an answer: call alone.
            }
            else if (!intent.Replaces && await cache.GetAsync(intent.Key, CancellationToken.None).ConfigureAwait(false) is { } stored)
            {
                // Double-check under the lease: another instance may have stored the answer between our lookup and
                // our lease (a refresh wants a new answer, so it does not take this one).
                await lease.DisposeAsync().ConfigureAwait(false);
                return ReplayStored(flight, stored);
            }
        }
#pragma warning disable CA1031 // Fail-open: with the shared store unreachable, this instance calls upstream itself.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.CoalescingUnavailable(_logger, ex);
        }

        try
        {
            return await call(lease).ConfigureAwait(false);
        }
        finally
        {
            if (lease is not null)
            {
                await lease.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private void Unregister(Flight flight, StoreIntent intent, bool registered)
    {
        if (registered)
        {
            registry.Remove(intent.Key, flight);
        }
    }

    /// <summary>Fills the flight from an answer another instance stored, in the form this flight's caller asked for.</summary>
    private FlightOutcome ReplayStored(Flight flight, CachedResponse stored, string reason = "stored by another instance")
    {
        var answer = StoredAnswer.Render(stored, flight.Streaming);

        // A stored answer, so a fresh id and its age, as any hit has.
        var age = Math.Max(0, (long)(timeProvider.GetUtcNow() - stored.CreatedAt).TotalSeconds);
        List<KeyValuePair<string, string[]>> headers =
        [
            new("content-type", [answer.ContentType]),
            new("request-id", [RequestIds.New()]),
            new("age", [age.ToString(System.Globalization.CultureInfo.InvariantCulture)]),
        ];
        foreach (var (name, value) in answer.Headers)
        {
            headers.Add(new(name, [value]));
        }

        flight.SetHead(new FlightHead(200, headers, answer.IsStream, FromCache: true));
        foreach (var chunk in answer.IsStream ? answer.Events() : [answer.Body])
        {
            flight.Body.Append(chunk.Span);
        }

        flight.Body.Complete();
        return new FlightOutcome(stored, reason) { ServedFromCache = true };
    }

    private async Task<FlightOutcome> CallAsync(Flight flight, UpstreamSend send, StoreIntent intent, bool registered, IAsyncDisposable? lease)
    {
        var timeouts = Timeouts;
        var (firstByte, idle) = flight.Streaming
            ? (timeouts.StreamFirstByte, timeouts.StreamIdle)
            : (timeouts.MessageFirstByte, timeouts.MessageIdle);

        // Two clocks on the TimeProvider: the whole call, and the current silence (first byte, then between reads).
        using var total = new CancellationTokenSource(upstreamTimeout, timeProvider);
        using var silence = new CancellationTokenSource(firstByte, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(total.Token, silence.Token);
        var timeout = linked.Token;
        HttpResponseMessage response;
        try
        {
            response = await send(timeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            var timedOut = linked.IsCancellationRequested;
            _upstreamFailures.Report(ex, timedOut);
            return TimedOutOrUnreachable(flight, intent, registered, timedOut);
        }

        using (response)
        {
            var isEventStream = response.Content.Headers.ContentType?.MediaType == "text/event-stream";
            var head = new FlightHead((int)response.StatusCode, CopyHeaders(response, isEventStream), isEventStream);

            // Step 8: copy bytes as they arrive, recording them. The head is handed to the callers with the first
            // bytes of the body, not before: until then nothing has reached a caller, so a silent upstream can still
            // be answered with a clean 504 instead of a broken stream.
            var parser = isEventStream ? new SseEventParser() : null;
            var accumulator = isEventStream ? new StreamAccumulator() : null;
            var declaredLength = response.Content.Headers.ContentLength;
            long received = 0;
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            var headSent = false;
            try
            {
                var body = await response.Content.ReadAsStreamAsync(timeout).ConfigureAwait(false);
                await using (body.ConfigureAwait(false))
                {
                    while (true)
                    {
                        var read = await body.ReadAsync(buffer, timeout).ConfigureAwait(false);
                        if (!headSent)
                        {
                            flight.SetHead(head);
                            headSent = true;
                        }

                        if (read == 0)
                        {
                            break;
                        }

                        silence.CancelAfter(idle);
                        received += read;
                        if (parser is not null)
                        {
                            parser.Append(buffer.AsSpan(0, read));
                            while (parser.TryRead(out var sseEvent))
                            {
                                accumulator!.Accept(sseEvent);
                            }
                        }

                        // Before the last bytes reach a caller, who may ask again at once: from now on, a caller that
                        // finds this flight gets the stored answer, not a share of a call that has ended for its client.
                        if (received == declaredLength || accumulator?.SawMessageStop == true)
                        {
                            flight.MarkAnswered();
                        }

                        flight.Body.Append(buffer.AsSpan(0, read));
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
            {
                var timedOut = linked.IsCancellationRequested;
                if (!headSent)
                {
                    _upstreamFailures.Report(ex, timedOut);
                    return TimedOutOrUnreachable(flight, intent, registered, timedOut);
                }

                // The upstream broke off or went silent mid-body: callers see the same truncation; nothing is stored.
                if (timedOut)
                {
                    Log.UpstreamWentSilent(_logger, total.IsCancellationRequested ? upstreamTimeout : idle, total.IsCancellationRequested);
                }
                else
                {
                    Log.UpstreamBrokeOff(_logger, ex);
                }

                Unregister(flight, intent, registered);
                flight.Body.Complete(timedOut ? new TimeoutException("The upstream API went silent mid-answer.", ex) : ex);
                return new FlightOutcome(null, timedOut ? "upstream timed out" : "upstream broke off");
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            // Step 9: only a complete success is worth keeping.
            var judged = Judge(head, flight.Body.WrittenMemory, accumulator, intent);
            Log.Judged(_logger, judged.Reason);
            if (judged.Response is null || !intent.Store)
            {
                // An answer that will not be stored must not be handed to a request that arrives after it ended.
                Unregister(flight, intent, registered);
            }

            flight.Body.Complete();
            await StoreAsync(intent, judged, lease).ConfigureAwait(false);
            return judged;
        }
    }

    /// <summary>Step 10: stores a complete answer the intent allows storing.</summary>
    private async Task StoreAsync(StoreIntent intent, FlightOutcome judged, IAsyncDisposable? lease)
    {
        if (judged.Response is null || !intent.Store)
        {
            return;
        }

        if (lease is null)
        {
            // The memory tier now, the second tier in the background.
            cache.Set(intent.Key, judged.Response, intent.Replaces, intent.Metadata(judged.Response), intent.Grace);
        }
        else
        {
            // Other instances wait on our lease: the shared tier must have the answer before we release it.
            await cache.SetAndWaitAsync(intent.Key, judged.Response, intent.Replaces, intent.Metadata(judged.Response), intent.Grace, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private FlightOutcome Judge(FlightHead head, ReadOnlyMemory<byte> body, StreamAccumulator? accumulator, StoreIntent intent)
    {
        if (head.StatusCode != StatusCodes200)
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

        var entry = Entry(intent, json, rawSse, model) with { Headers = StoredResponseHeaders.Select(head.Headers) };
        return new FlightOutcome(entry, intent.Store ? "stored" : "not stored by policy");
    }

    /// <summary>The entry an answer is stored as, stamped now with the intent's TTL and tags.</summary>
    private CachedResponse Entry(StoreIntent intent, ReadOnlyMemory<byte> body, ReadOnlyMemory<byte> rawSse, string model)
    {
        var now = timeProvider.GetUtcNow();
        return new CachedResponse
        {
            Kind = intent.Kind,
            CreatedAt = now,
            ExpiresAt = now + intent.Ttl,
            Strategy = intent.Strategy,
            Model = model,
            ContextType = intent.ContextType,
            Namespace = intent.Namespace,
            Body = body,
            RawSse = rawSse,
        };
    }

    private const int StatusCodes200 = 200;

    private FlightOutcome TimedOutOrUnreachable(Flight flight, StoreIntent intent, bool registered, bool timedOut)
    {
        Unregister(flight, intent, registered);
        return FailLocally(flight, timedOut ? HttpStatusCode.GatewayTimeout : HttpStatusCode.BadGateway, timedOut
            ? "The upstream API did not answer in time."
            : "The upstream API could not be reached.");
    }

    private static FlightOutcome FailLocally(Flight flight, HttpStatusCode status, string message)
    {
        var type = status == HttpStatusCode.GatewayTimeout ? ErrorTypes.Timeout : ErrorTypes.Api;
        // One id in the header and the body: it is what a user quotes when reporting the failure.
        var requestId = RequestIds.New();
        var body = ErrorEnvelope.Create(type, message, requestId);
        flight.SetHead(ProxyFailureHead(status, requestId) with { LocalFailure = status == HttpStatusCode.GatewayTimeout ? "timeout" : "unreachable" });
        flight.Body.Append(body);
        flight.Body.Complete();
        return new FlightOutcome(null, "upstream unavailable");
    }

    private static FlightHead ProxyFailureHead(HttpStatusCode status, string requestId) => new(
        (int)status,
        [
            new("content-type", ["application/json"]),
            new("request-id", [requestId]),
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
        [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Upstream broke off mid-body; nothing stored")]
        public static partial void UpstreamBrokeOff(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Cross-instance coalescing unavailable; calling upstream alone")]
        public static partial void CoalescingUnavailable(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "Upstream answer judged: {Reason}")]
        public static partial void Judged(ILogger logger, string reason);

        [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Upstream went silent mid-answer for {Timeout} (total timeout: {Total}); the answer is aborted and not stored")]
        public static partial void UpstreamWentSilent(ILogger logger, TimeSpan timeout, bool total);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Upstream call failed unexpectedly")]
        public static partial void FlightFailed(ILogger logger, Exception exception);
    }
}
