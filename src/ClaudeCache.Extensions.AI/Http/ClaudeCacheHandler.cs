using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Keys;
using ClaudeCache.Policy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeCache.Extensions.AI.Http;

/// <summary>
/// Caches the official Anthropic SDK's calls inside its own <see cref="HttpClient"/>, with exactly the proxy's
/// semantics: <c>POST /v1/messages</c> and <c>/v1/messages/count_tokens</c> go through the same
/// <see cref="CacheEngine"/> (same keys, same policy headers, same stored entries), so proxy users and in-process
/// users can share one store. Every other request passes through to the inner handler untouched.
/// </summary>
/// <remarks>
/// <para>A hit is answered in-process with no network call: JSON with its length, or the recorded stream replayed
/// byte for byte. A miss leads (or joins) one upstream call; its body reaches the SDK as the upstream sends it.</para>
/// <para>Invalid input gets the proxy's answer: a 400 <c>invalid_request_error</c> envelope with
/// <c>x-should-retry: false</c>, and nothing is sent upstream (the API would reject it too).</para>
/// <para>Every cached request is recorded in the engine's savings ledger (<see cref="CacheEngine.Ledger"/>) exactly
/// as the proxy records it: one entry per request, priced when its flight is judged.</para>
/// <para>The <c>x-cache-strategy</c>, <c>x-cache-context</c>, <c>x-cache-namespace</c> and <c>Cache-Control</c>
/// request headers steer the cache and are never sent upstream; neither is <c>Accept-Encoding</c>, so the upstream
/// body is plain bytes the engine can parse and store. See docs/library.md.</para>
/// </remarks>
public sealed partial class ClaudeCacheHandler : DelegatingHandler
{
    private const string MessagesPath = "/v1/messages";
    private const string CountTokensPath = "/v1/messages/count_tokens";

    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "accept-encoding", "cache-control", "content-length", "transfer-encoding", "connection", "expect",
        CacheHeaderNames.Strategy, CacheHeaderNames.Context, CacheHeaderNames.Namespace,
    };

    private readonly CacheEngine _engine;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the handler for an <c>IHttpClientBuilder</c> pipeline (the factory sets the inner handler).</summary>
    public ClaudeCacheHandler(CacheEngine engine, TimeProvider? timeProvider = null, ILogger<ClaudeCacheHandler>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = engine;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Creates the handler in front of <paramref name="innerHandler"/> (for <c>new HttpClient(handler)</c>).</summary>
    public ClaudeCacheHandler(CacheEngine engine, HttpMessageHandler innerHandler, TimeProvider? timeProvider = null, ILogger<ClaudeCacheHandler>? logger = null)
        : this(engine, timeProvider, logger) => InnerHandler = innerHandler;

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var endpoint = Route(request);
        if (endpoint is null || request.Content is null)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var started = _time.GetTimestamp();

        // Step 1: the SDK's body is already in memory; read it once.
        var body = await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);

        // Steps 2–4, with the proxy's headers and route, so the key is the proxy's key.
        PreparedRequest? prepared;
        string? error;
        try
        {
            using var document = JsonDocument.Parse(body);
            var path = endpoint == RequestEndpoint.Messages ? MessagesPath : CountTokensPath;
            prepared = _engine.Prepare(path, endpoint.Value, document.RootElement, ReadHeaders(request), out error);
        }
        catch (JsonException ex)
        {
            prepared = null;
            error = $"The request body is not valid JSON: {ex.Message}";
        }

        if (prepared is null)
        {
            Log.Rejected(_logger);
            return InvalidRequest(request, error!);
        }

        // Steps 5–6.
        var entry = await _engine.LookupAsync(prepared, cancellationToken).ConfigureAwait(false);
        if (entry is not null)
        {
            Log.Hit(_logger, prepared.Key);
            var hit = HitResponses.Create(request, entry, prepared.WantsStream, _time.GetUtcNow());
            AddCacheHeaders(hit, CacheResponseHeaders.Hit, prepared, coalesced: false);
            _engine.Ledger?.RecordHit(prepared, entry, _time.GetElapsedTime(started));
            return hit;
        }

        // Step 7: lead or join; the call outlives this caller, as in the proxy.
        var send = Sender(request, body);
        var ticket = _engine.JoinOrStart(prepared, send);
        var policy = prepared.Policy;
        var status = !ticket.IsLeader ? CacheResponseHeaders.Hit
            : !policy.Store ? CacheResponseHeaders.Bypass
            : policy.Lookup ? CacheResponseHeaders.Miss : CacheResponseHeaders.Refresh;
        Log.Miss(_logger, status, prepared.Key);

        // One ledger entry per request, as the proxy records: a follower is a hit, a leader its miss, refresh or
        // bypass, a flight answered from the shared store a hit, and no answer an error.
        var served = ticket.Flight;
        var outcome = !ticket.IsLeader ? LedgerOutcome.Hit : !policy.Store ? LedgerOutcome.Bypass : policy.Lookup ? LedgerOutcome.Miss : LedgerOutcome.Refresh;
        try
        {
            var response = await FollowAsync(request, served, prepared, status, !ticket.IsLeader, cancellationToken).ConfigureAwait(false);
            if (response is null)
            {
                // The shared call could not answer in this caller's form: call alone (and pay for it).
                served = _engine.CallAlone(prepared, send);
                outcome = policy.Store ? LedgerOutcome.Miss : LedgerOutcome.Bypass;
                response = await FollowAsync(request, served, prepared, status, !ticket.IsLeader, cancellationToken).ConfigureAwait(false);
            }

            return response ?? throw new HttpRequestException("The upstream answer could not be rendered in the requested form.");
        }
        finally
        {
            // The entry waits for the flight's judgement without holding the response open; a caller that left
            // still cost (or saved) what its flight did.
            _engine.Ledger?.RecordWhenJudged(prepared, served, outcome, _time.GetElapsedTime(started));
        }
    }

    private static RequestEndpoint? Route(HttpRequestMessage request)
    {
        if (request.Method != HttpMethod.Post || request.RequestUri is null)
        {
            return null;
        }

        // A base URL may carry a prefix (a gateway path); the route is the end of the path, the query is kept.
        var path = request.RequestUri.IsAbsoluteUri ? request.RequestUri.AbsolutePath : request.RequestUri.OriginalString.Split('?')[0];
        path = path.TrimEnd('/');
        return path.EndsWith(MessagesPath, StringComparison.Ordinal) ? RequestEndpoint.Messages
            : path.EndsWith(CountTokensPath, StringComparison.Ordinal) ? RequestEndpoint.CountTokens
            : null;
    }

    private static RequestHeaders ReadHeaders(HttpRequestMessage request)
    {
        var headers = request.Headers;
        return new RequestHeaders(
            Value(headers, "x-api-key"),
            headers.Authorization?.ToString(),
            Value(headers, "anthropic-version"),
            headers.TryGetValues("anthropic-beta", out var betas) ? string.Join(',', betas) : null,
            Value(headers, CacheHeaderNames.Strategy),
            Value(headers, CacheHeaderNames.Context),
            headers.TryGetValues("Cache-Control", out var cacheControl) ? string.Join(", ", cacheControl) : null,
            Value(headers, CacheHeaderNames.Namespace));
    }

    private static string? Value(HttpRequestHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? string.Join(',', values) : null;

    /// <summary>
    /// Builds the upstream request anew on every send (a message can be sent once): the caller's headers minus the
    /// cache's own controls and <c>Accept-Encoding</c>, the body bytes, and the caller's options for inner handlers.
    /// </summary>
    private UpstreamSend Sender(HttpRequestMessage request, byte[] body)
    {
        var uri = request.RequestUri;
        var version = request.Version;
        var versionPolicy = request.VersionPolicy;
        var headers = new List<KeyValuePair<string, string[]>>();
        foreach (var header in request.Headers)
        {
            if (!NotForwarded.Contains(header.Key))
            {
                headers.Add(new(header.Key, header.Value.ToArray()));
            }
        }

        var options = request.Options.ToArray();
        return cancellationToken =>
        {
            var upstream = new HttpRequestMessage(HttpMethod.Post, uri)
            {
                Version = version,
                VersionPolicy = versionPolicy,
                Content = new ByteArrayContent(body),
            };
            upstream.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            foreach (var (name, values) in headers)
            {
                upstream.Headers.TryAddWithoutValidation(name, values);
            }

            foreach (var (key, value) in options)
            {
                upstream.Options.Set(new HttpRequestOptionsKey<object?>(key), value);
            }

            return base.SendAsync(upstream, cancellationToken);
        };
    }

    /// <summary>
    /// Step 8, the caller's side: the flight's status, headers and live body. Null when the flight's form (stream
    /// or JSON) differs from the caller's and its answer cannot be rendered for it: the caller then calls alone.
    /// </summary>
    private async Task<HttpResponseMessage?> FollowAsync(
        HttpRequestMessage request, Flight flight, PreparedRequest prepared, string status, bool coalesced, CancellationToken cancellationToken)
    {
        var head = await flight.Head.WaitAsync(cancellationToken).ConfigureAwait(false);

        // A flight that another instance answered (through the shared store, Redis) is a hit here too, as in the proxy.
        status = head.FromCache ? CacheResponseHeaders.Hit : status;
        if (flight.Streaming != prepared.WantsStream && head.StatusCode == (int)HttpStatusCode.OK)
        {
            var outcome = await flight.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (outcome.Response is null)
            {
                return null;
            }

            var rendered = HitResponses.Create(request, outcome.Response, prepared.WantsStream, _time.GetUtcNow());
            AddCacheHeaders(rendered, status, prepared, coalesced);
            return rendered;
        }

        var response = new HttpResponseMessage((HttpStatusCode)head.StatusCode)
        {
            RequestMessage = request,
            Content = new FlightContent(flight.Body),
        };
        foreach (var (name, values) in head.Headers)
        {
            if (!response.Headers.TryAddWithoutValidation(name, values))
            {
                response.Content.Headers.TryAddWithoutValidation(name, values);
            }
        }

        AddCacheHeaders(response, status, prepared, coalesced);
        return response;
    }

    private static void AddCacheHeaders(HttpResponseMessage response, string status, PreparedRequest prepared, bool coalesced)
    {
        var headers = response.Headers;
        headers.TryAddWithoutValidation(CacheResponseHeaders.Status, status);
        headers.TryAddWithoutValidation(CacheResponseHeaders.Key, prepared.Key.ToHex());
        headers.TryAddWithoutValidation(CacheResponseHeaders.Strategy, StrategyNames.ToHeader(prepared.Policy.Strategy));
        headers.TryAddWithoutValidation(CacheResponseHeaders.StrategyReason, prepared.Policy.Reason);
        if (coalesced)
        {
            // A follower shares the leader's body but is its own response: a fresh request id, as the proxy gives.
            headers.Remove("request-id");
            headers.TryAddWithoutValidation("request-id", RequestIds.New());
            headers.TryAddWithoutValidation(CacheResponseHeaders.Coalesced, "true");
        }
    }

    private static HttpResponseMessage InvalidRequest(HttpRequestMessage request, string message)
    {
        var requestId = RequestIds.New();
        var response = new HttpResponseMessage(HttpStatusCode.BadRequest)
        {
            RequestMessage = request,
            Content = new ByteArrayContent(ErrorEnvelope.Create(ErrorTypes.InvalidRequest, message, requestId)),
        };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        response.Headers.TryAddWithoutValidation("request-id", requestId);
        response.Headers.TryAddWithoutValidation("x-should-retry", "false");
        return response;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "Cache hit {Key}")]
        public static partial void Hit(ILogger logger, CacheKey key);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "Cache {Status} {Key}")]
        public static partial void Miss(ILogger logger, string status, CacheKey key);

        [LoggerMessage(EventId = 5003, Level = LogLevel.Debug, Message = "Invalid request answered with 400; nothing sent upstream")]
        public static partial void Rejected(ILogger logger);
    }
}
