using System.Net;
using System.Net.Http.Headers;
using ClaudeCache.Anthropic;
using ClaudeCache.Extensions.AI.Http;
using ClaudeCache.Pipeline;
using ClaudeCache.Keys;
using ClaudeCache.Policy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeCache.Extensions.AI;

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
/// <para>The <c>x-cache-strategy</c>, <c>x-cache-context</c>, <c>x-cache-namespace</c>, <c>x-cache-tags</c> and
/// <c>Cache-Control</c> request headers steer the cache and are never sent upstream; neither is <c>Accept-Encoding</c>, so the upstream
/// body is plain bytes the engine can parse and store. See docs/library.md.</para>
/// </remarks>
public sealed partial class ClaudeCacheHandler : DelegatingHandler
{
    private const string MessagesPath = "/v1/messages";
    private const string CountTokensPath = "/v1/messages/count_tokens";

    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "accept-encoding", "cache-control", "content-length", "transfer-encoding", "connection", "expect",
        CacheHeaderNames.Strategy, CacheHeaderNames.Context, CacheHeaderNames.Namespace, CacheHeaderNames.Tags,
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

        // Step 1: the SDK's body is already in memory; read it once. The proxy's route and headers make the proxy's key.
        var body = await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var path = endpoint == RequestEndpoint.Messages ? MessagesPath : CountTokensPath;
        var cacheRequest = new CacheRequest(path, endpoint.Value, body, ReadHeaders(request), upstreamBody => Sender(request, upstreamBody));

        // Steps 2–7 in the engine; the ledger records when the outcome is disposed. The call outlives this caller.
        using var outcome = await _engine.HandleAsync(cacheRequest, cancellationToken).ConfigureAwait(false);
        switch (outcome.Kind)
        {
            case CacheOutcomeKind.Rejected:
                Log.Rejected(_logger);
                return InvalidRequest(request, outcome);
            case CacheOutcomeKind.Stored:
                Log.Answered(_logger, outcome.Status, outcome.Request!.Key);
                return Stored(request, outcome);
            default:
                Log.Answered(_logger, outcome.Status, outcome.Request!.Key);
                return Live(request, outcome);
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
            Value(headers, CacheHeaderNames.Namespace))
        {
            Tags = Value(headers, CacheHeaderNames.Tags),
        };
    }

    private static string? Value(HttpRequestHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? string.Join(',', values) : null;

    /// <summary>
    /// Builds the upstream request anew on every send (a message can be sent once): the caller's headers minus the
    /// cache's own controls and <c>Accept-Encoding</c>, the body bytes, and the caller's options for inner handlers.
    /// </summary>
    private UpstreamSend Sender(HttpRequestMessage request, ReadOnlyMemory<byte> body)
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
                Content = new ReadOnlyMemoryContent(body),
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

    /// <summary>Step 6 as an <see cref="HttpResponseMessage"/>: the stored answer rendered in the caller's form, with the upstream headers it was stored with.</summary>
    private HttpResponseMessage Stored(HttpRequestMessage request, CacheOutcome outcome)
    {
        var answer = outcome.Render();
        var response = new HttpResponseMessage(HttpStatusCode.OK)
        {
            RequestMessage = request,
            // ReadOnlyMemoryContent reports its length, so the SDK sees a content-length as from the proxy.
            Content = new ReadOnlyMemoryContent(answer.Body),
        };
        response.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(answer.ContentType);
        if (answer.IsStream)
        {
            response.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        }

        foreach (var (name, value) in answer.Headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        AddCacheHeaders(response, outcome);
        return response;
    }

    /// <summary>Step 8, the caller's side: the flight's status, headers and live body.</summary>
    private HttpResponseMessage Live(HttpRequestMessage request, CacheOutcome outcome)
    {
        var head = outcome.Head!;
        var response = new HttpResponseMessage((HttpStatusCode)head.StatusCode)
        {
            RequestMessage = request,
            Content = new FlightContent(outcome.Flight!.Body),
        };
        foreach (var (name, values) in head.Headers)
        {
            if (!response.Headers.TryAddWithoutValidation(name, values))
            {
                response.Content.Headers.TryAddWithoutValidation(name, values);
            }
        }

        AddCacheHeaders(response, outcome);
        return response;
    }

    private void AddCacheHeaders(HttpResponseMessage response, CacheOutcome outcome)
    {
        foreach (var (name, value) in outcome.CacheHeaders(_time.GetUtcNow()))
        {
            // The cache's own value wins over the upstream's (a share of a call in flight gets its own request id).
            response.Headers.Remove(name);
            response.Headers.TryAddWithoutValidation(name, value);
        }
    }

    private static HttpResponseMessage InvalidRequest(HttpRequestMessage request, CacheOutcome outcome)
    {
        var (body, requestId) = outcome.ErrorEnvelopeBody();
        var response = new HttpResponseMessage(HttpStatusCode.BadRequest)
        {
            RequestMessage = request,
            Content = new ByteArrayContent(body),
        };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        response.Headers.TryAddWithoutValidation(CacheHeaderNames.RequestId, requestId);
        response.Headers.TryAddWithoutValidation("x-should-retry", "false");
        return response;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "Cache {Status} {Key}")]
        public static partial void Answered(ILogger logger, CacheStatus status, CacheKey key);

        [LoggerMessage(EventId = 5003, Level = LogLevel.Debug, Message = "Invalid request answered with 400; nothing sent upstream")]
        public static partial void Rejected(ILogger logger);
    }
}
