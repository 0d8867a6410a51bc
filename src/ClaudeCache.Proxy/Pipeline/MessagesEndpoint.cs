using System.Text.Json;
using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Policy;
using ClaudeCache.Proxy.Hosting;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>
/// <c>POST /v1/messages</c> and <c>POST /v1/messages/count_tokens</c>: the request pipeline of
/// ARCHITECTURE.md, steps 1–10. Steps 2–5 and 7 are the <see cref="CacheEngine"/>'s, 8–10 its
/// <see cref="FlightRunner"/>'s; this class reads the HTTP request and writes the HTTP response.
/// </summary>
internal sealed class MessagesEndpoint(
    CacheEngine engine,
    UpstreamClient upstream,
    LedgerRecorder ledger,
    TimeProvider time,
    IOptions<ProxyOptions> options)
{
    private readonly ProxyOptions _options = options.Value;

    public async Task HandleAsync(HttpContext context, RequestEndpoint endpoint)
    {
        var started = time.GetTimestamp();
        var request = context.Request;

        // Step 1: receive, bounded.
        var body = await RequestBody.ReadAsync(request, _options.MaxRequestBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await ProxyErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorTypes.RequestTooLarge,
                $"Request body exceeds the limit of {_options.MaxRequestBodyBytes} bytes.", shouldRetry: false).ConfigureAwait(false);
            return;
        }

        // Step 2: parse; the engine validates. Nothing invalid goes upstream or into the store.
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            await ProxyErrors.InvalidRequest(context, $"The request body is not valid JSON: {ex.Message}").ConfigureAwait(false);
            return;
        }

        PreparedRequest? prepared;
        using (document)
        {
            // Steps 3–4: policy and key, from the proxy's own headers.
            var headers = request.Headers;
            var facts = new RequestHeaders(
                headers["x-api-key"].ToString(),
                headers.Authorization.ToString(),
                headers["anthropic-version"].ToString(),
                string.Join(',', headers["anthropic-beta"].ToArray()),
                headers[ProxyHeaders.Strategy].ToString(),
                headers[ProxyHeaders.Context].ToString(),
                headers.CacheControl.ToString(),
                headers[ProxyHeaders.Namespace].ToString());
            prepared = engine.Prepare(request.Path.Value!, endpoint, document.RootElement, facts, out var error);
            if (prepared is not null && !PromptBreakpoints.IsValidHeader(headers[ProxyHeaders.PromptBreakpoints].ToString()))
            {
                prepared = null;
                error = $"{ProxyHeaders.PromptBreakpoints} must be '{PromptBreakpoints.Auto}' or '{PromptBreakpoints.Off}'.";
            }

            if (prepared is null)
            {
                await ProxyErrors.InvalidRequest(context, error!).ConfigureAwait(false);
                return;
            }
        }

        await ServeAsync(context, prepared, body, started).ConfigureAwait(false);
    }

    private async Task ServeAsync(HttpContext context, PreparedRequest prepared, byte[] body, long started)
    {
        // Steps 5–6: look up, and serve a hit.
        var entry = await engine.LookupAsync(prepared, context.RequestAborted).ConfigureAwait(false);
        if (entry is not null)
        {
            AddCacheHeaders(context.Response, ProxyHeaders.Hit, prepared);
            await ResponseRenderer.WriteAsync(context, entry, prepared.WantsStream, time.GetUtcNow()).ConfigureAwait(false);
            ledger.RecordHit(prepared, entry, time.GetElapsedTime(started));
            return;
        }

        // Step 7: join an identical call in flight, or lead one.
        // Only a miss needs the request copied for the upstream call (a hit never pays for it).
        // The key above came from the caller's body; planned cache_control breakpoints change only what is sent.
        var upstreamBody = PromptBreakpoints.Apply(body, prepared, context.Request.Headers[ProxyHeaders.PromptBreakpoints].ToString(), _options.PromptCaching);
        var send = upstream.Sender(UpstreamRequest.From(context.Request, upstreamBody));
        var ticket = engine.JoinOrStart(prepared, send);
        var policy = prepared.Policy;

        // A follower causes no upstream call: to the caller and the ledger it is a hit, served live.
        var status = !ticket.IsLeader ? ProxyHeaders.Hit : !policy.Store ? ProxyHeaders.Bypass : policy.Lookup ? ProxyHeaders.Miss : ProxyHeaders.Refresh;

        void AddHeaders(HttpResponse response)
        {
            // A flight that another instance answered (through the shared store) is a hit here too.
            var fromCache = ticket.Flight.Head.IsCompletedSuccessfully && ticket.Flight.Head.Result.FromCache;
            AddCacheHeaders(response, fromCache ? ProxyHeaders.Hit : status, prepared);
            if (!ticket.IsLeader)
            {
                // A hit like any other, with an age: the shared answer is being produced now.
                response.Headers[ProxyHeaders.Coalesced] = "true";
                response.Headers[ProxyHeaders.RequestId] = RequestIds.New();
                response.Headers.Age = "0";
            }
        }

        var served = ticket.Flight;
        var outcome = !ticket.IsLeader ? LedgerOutcome.Hit : !policy.Store ? LedgerOutcome.Bypass : policy.Lookup ? LedgerOutcome.Miss : LedgerOutcome.Refresh;
        try
        {
            if (!await FlightResponder.WriteAsync(context, served, prepared.WantsStream, AddHeaders, time).ConfigureAwait(false))
            {
                // The shared call could not answer in this caller's form: call alone (and pay for it).
                served = engine.CallAlone(prepared, send);
                outcome = policy.Store ? LedgerOutcome.Miss : LedgerOutcome.Bypass;
                await FlightResponder.WriteAsync(context, served, prepared.WantsStream, AddHeaders, time).ConfigureAwait(false);
            }
        }
        finally
        {
            // A caller that left still cost (or saved) what its flight did: every call is accounted for.
            // Steps 9–10 end after the caller has its bytes; the entry waits for the judgement without holding the response open.
            ledger.RecordWhenJudged(prepared, served, outcome, time.GetElapsedTime(started));
        }
    }

    private static void AddCacheHeaders(HttpResponse response, string status, PreparedRequest prepared)
    {
        var headers = response.Headers;
        headers[ProxyHeaders.Status] = status;
        headers[ProxyHeaders.Key] = prepared.Key.ToHex();
        headers[ProxyHeaders.Strategy] = StrategyNames.ToHeader(prepared.Policy.Strategy);
        headers[ProxyHeaders.StrategyReason] = prepared.Policy.Reason;
    }
}
