using ClaudeCache.Anthropic;
using ClaudeCache.Pipeline;
using ClaudeCache.Proxy.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>
/// <c>POST /v1/messages</c> and <c>POST /v1/messages/count_tokens</c>: reads the HTTP request (step 1), hands it to
/// the one request path (<see cref="CacheEngine.HandleAsync"/>, steps 1–7; docs/request-path.md), and writes the
/// outcome as an HTTP response (steps 6 and 8).
/// </summary>
internal sealed class MessagesEndpoint(CacheEngine engine, UpstreamClient upstream, TimeProvider time, IOptions<ProxyOptions> options, RequestLimits limits)
{
    private readonly ProxyOptions _options = options.Value;

    public async Task HandleAsync(HttpContext context, RequestEndpoint endpoint)
    {
        var request = context.Request;

        // Step 1: receive, bounded (requests at once, body bytes in flight, one body's size), fingerprinted while read.
        using var slot = limits.EnterRequest();
        if (!slot.IsAcquired)
        {
            await ProxyErrors.Overloaded(context, $"The proxy is handling its limit of {_options.MaxConcurrentRequests} requests at once.").ConfigureAwait(false);
            return;
        }

        var (body, error, malformed) = await RequestBody.ReadAsync(request, _options.MaxRequestBodyBytes, limits, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await (error switch
            {
                RequestBodyError.TooLarge => ProxyErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorTypes.RequestTooLarge,
                    $"Request body exceeds the limit of {_options.MaxRequestBodyBytes} bytes.", shouldRetry: false),
                RequestBodyError.Overloaded => ProxyErrors.Overloaded(context,
                    $"The proxy is holding its limit of {_options.MaxInFlightRequestBodyBytes} request body bytes at once."),
                _ => ProxyErrors.WriteAsync(context, malformed!.StatusCode, ErrorTypes.InvalidRequest,
                    $"The request body could not be read: {malformed.Message}", shouldRetry: false),
            }).ConfigureAwait(false);
            return;
        }

        using (body)
        {
            var headers = request.Headers;
            var facts = new RequestHeaders(
                headers["x-api-key"].ToString(),
                headers.Authorization.ToString(),
                headers["anthropic-version"].ToString(),
                string.Join(',', headers["anthropic-beta"].ToArray()),
                headers[ProxyHeaders.Strategy].ToString(),
                headers[ProxyHeaders.Context].ToString(),
                headers.CacheControl.ToString(),
                headers[ProxyHeaders.Namespace].ToString())
            {
                PromptBreakpoints = headers[ProxyHeaders.PromptBreakpoints].ToString(),
                Tags = string.Join(',', headers[ProxyHeaders.Tags].ToArray()),
            };

            // The upstream request is copied out of this one only on a miss (a hit never pays for it).
            var cacheRequest = new CacheRequest(request.Path.Value!, endpoint, body.Sequence, facts, upstreamBody => upstream.Sender(UpstreamRequest.From(request, upstreamBody)))
            {
                Fingerprint = body.Fingerprint,
                CallerTrace = ProxyHeaders.CallerTrace(headers),
            };

            // Steps 2–7, and the ledger when the outcome is disposed (after the caller has its bytes).
            using var outcome = await engine.HandleAsync(cacheRequest, context.RequestAborted).ConfigureAwait(false);
            switch (outcome.Kind)
            {
                case CacheOutcomeKind.Rejected:
                    await ProxyErrors.InvalidRequest(context, outcome.Error!).ConfigureAwait(false);
                    break;
                case CacheOutcomeKind.Stored:
                    await WriteStoredAsync(context, outcome).ConfigureAwait(false);
                    break;
                default:
                    await WriteLiveAsync(context, outcome).ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>Step 6: a stored answer with the upstream headers it was stored with, JSON with its length or the stream one event per flush.</summary>
    private async Task WriteStoredAsync(HttpContext context, CacheOutcome outcome)
    {
        var response = context.Response;
        var cancellationToken = context.RequestAborted;
        var answer = outcome.Render();
        response.StatusCode = StatusCodes.Status200OK;
        foreach (var (name, value) in answer.Headers)
        {
            response.Headers.Append(name, value);
        }

        AddCacheHeaders(response, outcome);
        response.ContentType = answer.ContentType;
        if (!answer.IsStream)
        {
            response.ContentLength = answer.Body.Length;
            await response.Body.WriteAsync(answer.Body, cancellationToken).ConfigureAwait(false);
            return;
        }

        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        foreach (var sseEvent in answer.Events())
        {
            await response.Body.WriteAsync(sseEvent, cancellationToken).ConfigureAwait(false);
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Step 8, the caller's side: the flight's bytes as they arrive, flushed after each chunk (no buffering).</summary>
    private async Task WriteLiveAsync(HttpContext context, CacheOutcome outcome)
    {
        var cancellationToken = context.RequestAborted;
        var head = outcome.Head!;
        var response = context.Response;
        response.StatusCode = head.StatusCode;
        foreach (var (name, values) in head.Headers)
        {
            response.Headers[name] = values;
        }

        AddCacheHeaders(response, outcome);
        if (head.IsEventStream)
        {
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        }

        var body = outcome.Flight!.Body;
        var position = 0;
        while (true)
        {
            var read = await body.ReadAsync(position, cancellationToken).ConfigureAwait(false);
            if (read.IsCompleted)
            {
                if (read.Fault is not null)
                {
                    // The upstream broke off: so does this response, rather than look complete.
                    context.Abort();
                }

                return;
            }

            await response.Body.WriteAsync(read.Data, cancellationToken).ConfigureAwait(false);
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            position += read.Data.Length;
        }
    }

    private void AddCacheHeaders(HttpResponse response, CacheOutcome outcome)
    {
        foreach (var (name, value) in outcome.CacheHeaders(time.GetUtcNow()))
        {
            response.Headers[name] = value;
        }
    }
}
