using System.Text.Json;
using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Policy;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>
/// <c>POST /v1/messages</c> and <c>POST /v1/messages/count_tokens</c>: the request pipeline of
/// ARCHITECTURE.md, steps 1–10. Steps 7–10 continue in <see cref="FlightRunner"/> and <see cref="FlightResponder"/>.
/// </summary>
internal sealed class MessagesEndpoint(
    ResponseCache cache,
    FlightRegistry flights,
    FlightRunner runner,
    CachePolicyResolver policies,
    ClaudeCacheMetrics metrics,
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

        // Step 2: parse and validate; nothing invalid goes upstream or into the store.
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

        using (document)
        {
            var root = document.RootElement;
            if (MessagesRequestValidator.Validate(root, endpoint) is { } invalid)
            {
                await ProxyErrors.InvalidRequest(context, invalid).ConfigureAwait(false);
                return;
            }

            // Step 3: resolve the policy from the proxy's own headers.
            var headers = request.Headers;
            var policyInput = new PolicyInput(
                headers[ProxyHeaders.Strategy].ToString(),
                headers[ProxyHeaders.Context].ToString(),
                headers.CacheControl.ToString(),
                headers[ProxyHeaders.Namespace].ToString(),
                root);
            var policy = policies.Resolve(policyInput);
            if (!policy.IsValid)
            {
                await ProxyErrors.InvalidRequest(context, policy.Error).ConfigureAwait(false);
                return;
            }

            var wantsStream = endpoint == RequestEndpoint.Messages && MessagesRequestValidator.IsStreaming(root);
            var contextType = headers[ProxyHeaders.Context].ToString();

            // Step 4: the key, partitioned by tenant.
            var partition = TenantPartition.Compute(headers["x-api-key"].ToString(), headers.Authorization.ToString(), _options.Tenant);
            var key = CacheKeyBuilder.Build(new CacheKeyInput(
                partition,
                policy.Namespace,
                request.Path.Value!,
                headers["anthropic-version"].ToString(),
                string.Join(',', headers["anthropic-beta"].ToArray()),
                root));

            var outcome = await ServeAsync(context, endpoint, policy, key, wantsStream, contextType, body).ConfigureAwait(false);
            metrics.Request(outcome, StrategyNames.ToHeader(policy.Strategy), ReadModel(root), time.GetElapsedTime(started));
        }
    }

    private async Task<string> ServeAsync(HttpContext context, RequestEndpoint endpoint, CachePolicy policy, CacheKey key, bool wantsStream, string contextType, byte[] body)
    {
        // Step 5–6: look up, and serve a hit.
        if (policy.Lookup)
        {
            var entry = await cache.GetAsync(key, context.RequestAborted).ConfigureAwait(false);
            if (entry is not null)
            {
                AddCacheHeaders(context.Response, ProxyHeaders.Hit, key, policy);
                await ResponseRenderer.WriteAsync(context, entry, wantsStream, time.GetUtcNow()).ConfigureAwait(false);
                return "hit";
            }
        }

        // Only a miss needs the copy of the request for the upstream call; a hit never pays for it.
        var upstreamRequest = UpstreamRequest.From(context.Request, body);
        var status = !policy.Store ? ProxyHeaders.Bypass : policy.Lookup ? ProxyHeaders.Miss : ProxyHeaders.Refresh;
        var intent = new StoreIntent(
            key,
            endpoint == RequestEndpoint.CountTokens ? ResponseKind.CountTokens : ResponseKind.Message,
            policy.Store,
            policy.Strategy,
            policy.Ttl,
            contextType,
            policy.Namespace);

        // Step 7: join an identical call in flight, or lead one. Uncacheable requests always call alone.
        var candidate = new Flight(wantsStream);
        var flight = candidate;
        var leads = true;
        if (policy.Store)
        {
            leads = flights.TryJoinOrLead(key, candidate, out flight);
        }

        if (leads)
        {
            runner.Start(flight, upstreamRequest, intent, coalesced: policy.Store);
        }
        else
        {
            // A follower causes no upstream call: to the caller and the ledger it is a hit, served live.
            metrics.CoalescedRequest();
            status = ProxyHeaders.Hit;
        }

        void AddHeaders(HttpResponse response)
        {
            AddCacheHeaders(response, status, key, policy);
            if (!leads)
            {
                response.Headers[ProxyHeaders.Coalesced] = "true";
                response.Headers[ProxyHeaders.RequestId] = RequestIds.New();
            }
        }

        if (!await FlightResponder.WriteAsync(context, flight, wantsStream, AddHeaders, time).ConfigureAwait(false))
        {
            // The shared call could not answer in this caller's form: call alone.
            var own = new Flight(wantsStream);
            runner.Start(own, upstreamRequest, intent with { Store = false }, coalesced: false);
            await FlightResponder.WriteAsync(context, own, wantsStream, AddHeaders, time).ConfigureAwait(false);
        }

        return status.ToLowerInvariant();
    }

    private static void AddCacheHeaders(HttpResponse response, string status, CacheKey key, CachePolicy policy)
    {
        var headers = response.Headers;
        headers[ProxyHeaders.Status] = status;
        headers[ProxyHeaders.Key] = key.ToHex();
        headers[ProxyHeaders.Strategy] = StrategyNames.ToHeader(policy.Strategy);
        headers[ProxyHeaders.StrategyReason] = policy.Reason;
    }

    private static string ReadModel(JsonElement root) =>
        root.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String ? model.GetString() ?? "" : "";
}
