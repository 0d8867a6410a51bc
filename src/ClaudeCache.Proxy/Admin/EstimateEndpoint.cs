using ClaudeCache.Costs;
using ClaudeCache.Extensions.AI;
using ClaudeCache.Proxy.Pipeline;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Admin;

/// <summary>
/// <c>GET /admin/estimate?days=N[&amp;to=…]</c>: the request log of the range replayed under the TTLs each request was
/// served with (which must come out as what was realised), and under no expiry (the ceiling). <c>POST</c> the same
/// with a candidate configuration (appsettings JSON) as the body to have it replayed too. A store that fails while
/// the log is read is a 503 (retry).
/// </summary>
internal static class EstimateEndpoint
{
    public static async Task HandleAsync(HttpContext context, SavingsLedger ledger, TimeProvider time, IOptions<ClaudeCacheOptions> options)
    {
        if (!EstimateQuery.TryParse(context.Request.Query, time.GetUtcNow(), out var query, out var error))
        {
            await ProxyErrors.InvalidRequest(context, error!).ConfigureAwait(false);
            return;
        }

        var candidates = new List<EstimateScenario>();
        if (HttpMethods.IsPost(context.Request.Method))
        {
            if (context.Request.ContentLength > CandidateStrategies.MaxBytes)
            {
                await ProxyErrors.InvalidRequest(context, $"the candidate configuration is over {CandidateStrategies.MaxBytes / 1024} KiB.").ConfigureAwait(false);
                return;
            }

            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
            body.Position = 0;
            if (body.Length > CandidateStrategies.MaxBytes || !CandidateStrategies.TryRead(body, options.Value.Strategies, out var candidate, out error))
            {
                await ProxyErrors.InvalidRequest(context, error ?? $"the candidate configuration is over {CandidateStrategies.MaxBytes / 1024} KiB.").ConfigureAwait(false);
                return;
            }

            candidates.Add(candidate!);
        }

        IReadOnlyList<RequestLogRow> rows;
        try
        {
            rows = await ledger.QueryRequestsAsync(query.From, query.To, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (AdminResponses.IsStoreFailure(ex, context))
        {
            await AdminResponses.StoreFailedAsync(context, "reading the request log", ex).ConfigureAwait(false);
            return;
        }

        var report = SavingsEstimator.Estimate(rows, query.From, query.To, candidates);
        await AdminResponses.WriteJsonAsync(context, report, AdminJsonContext.Default.EstimateReport).ConfigureAwait(false);
    }
}
