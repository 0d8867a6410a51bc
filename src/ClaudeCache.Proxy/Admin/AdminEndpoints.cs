using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.PromptCaching;
using ClaudeCache.Extensions.AI;
using ClaudeCache.Proxy.Pipeline;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Admin;

/// <summary>The admin API (<c>/admin/*</c>, token required) and the dashboard page.</summary>
internal static class AdminEndpoints
{
    public static void MapAdminEndpoints(this WebApplication app)
    {
        var admin = app.MapGroup("/admin").AddEndpointFilter<AdminTokenFilter>();
        admin.MapGet("/stats", StatsAsync);
        admin.MapMethods("/estimate", ["GET", "POST"], EstimateEndpoint.HandleAsync);
        admin.MapDelete("/cache/{key}", InvalidateAsync);
        admin.MapDelete("/cache", PurgeAsync);
        admin.MapGet("/alerts", (HttpContext context, AlertMonitor alerts) => AdminResponses.WriteJsonAsync(context, alerts.Snapshot(), AdminJsonContext.Default.AlertsResponse));
        app.MapGet("/dashboard", () => Results.Stream(Dashboard.Open(), "text/html; charset=utf-8"));
        app.MapGet("/dashboard/chart.js", () => Results.Stream(Dashboard.OpenChartLibrary(), "text/javascript; charset=utf-8"));
    }

    /// <summary>
    /// <c>DELETE /admin/cache/{key}</c>: removes an entry (the <c>x-cache-key</c> of a response) from every tier and,
    /// through the backplane, from every instance's memory tier; the next request for it says
    /// <c>x-cache-miss-reason: invalidated</c>.
    /// </summary>
    private static async Task InvalidateAsync(HttpContext context, string key, ResponseCache cache)
    {
        if (!Keys.CacheKey.TryParse(key, out var parsed))
        {
            await ProxyErrors.InvalidRequest(context, "key: expected the 64-character hex form of a cache key (the x-cache-key header).").ConfigureAwait(false);
            return;
        }

        await cache.InvalidateAsync(parsed, MissReason.Invalidated, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>
    /// <c>DELETE /admin/cache?tag=…&amp;tenant=…&amp;namespace=…&amp;model=…&amp;strategy=…&amp;context=…&amp;olderThan=…[&amp;dryRun=true]</c>:
    /// removes every entry matching all the filters from every tier and every instance, and says how many (never
    /// which: the answer holds counts, not keys). A store that fails is a 503, not a count.
    /// </summary>
    private static async Task PurgeAsync(HttpContext context, ResponseCache cache, TimeProvider time)
    {
        if (!PurgeQuery.TryParse(context.Request.Query, time.GetUtcNow(), out var filter, out var dryRun, out var error))
        {
            await ProxyErrors.InvalidRequest(context, error!).ConfigureAwait(false);
            return;
        }

        PurgeResult result;
        try
        {
            result = await cache.PurgeAsync(filter, dryRun, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ArgumentException)
        {
            await ProxyErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Anthropic.ErrorTypes.Api,
                $"The store failed during the purge ({ex.GetType().Name}); entries removed before the failure stay removed. Try again.", shouldRetry: true).ConfigureAwait(false);
            return;
        }

        await AdminResponses.WriteJsonAsync(context, result, AdminJsonContext.Default.PurgeResult).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>GET /admin/stats</c>: the analytics over a range, optionally filtered by one dimension. A ledger store that
    /// fails is a 503 (retry), not a report.
    /// </summary>
    private static async Task StatsAsync(
        HttpContext context, SavingsLedger ledger, ResponseCache cache, TimeProvider time, IOptions<ClaudeCacheOptions> options, RequestLimits limits, ClaudeCacheMetrics metrics, PromptCachePlanner planner)
    {
        if (!StatsQuery.TryParse(context.Request.Query, time.GetUtcNow(), out var query, out var error))
        {
            await ProxyErrors.InvalidRequest(context, error!).ConfigureAwait(false);
            return;
        }

        (IReadOnlyList<LedgerRow> Rows, IReadOnlyList<LatencyRow> Latency) read;
        try
        {
            read = await ledger.QueryAsync(query.From, query.To, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (AdminResponses.IsStoreFailure(ex, context))
        {
            await AdminResponses.StoreFailedAsync(context, "reading the ledger", ex).ConfigureAwait(false);
            return;
        }

        var report = await BuildReportAsync(read, cache, query.From, query.To, query.Filter, options.Value.Costs.MonthlyInfrastructureCostUsd, context.RequestAborted).ConfigureAwait(false);
        report = report with
        {
            Overload = new OverloadFigures(metrics.Overloaded("concurrency"), metrics.Overloaded("body_bytes"), limits.InFlightBodyBytes),
            PromptCache = new PromptCacheFigures(planner.RememberedPrefixes, planner.ColdPrefixWaits, planner.ClosedValves),
            Purged = metrics.PurgedByKind,
        };
        await AdminResponses.WriteJsonAsync(context, report, AdminJsonContext.Default.SavingsReport).ConfigureAwait(false);
    }

    public static async Task<SavingsReport> BuildReportAsync(SavingsLedger ledger, ResponseCache? cache, DateTimeOffset from, DateTimeOffset to, (string, string)? filter, decimal infrastructure, CancellationToken cancellationToken)
    {
        var read = await ledger.QueryAsync(from, to, cancellationToken).ConfigureAwait(false);
        return await BuildReportAsync(read, cache, from, to, filter, infrastructure, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<SavingsReport> BuildReportAsync(
        (IReadOnlyList<LedgerRow> Rows, IReadOnlyList<LatencyRow> Latency) read, ResponseCache? cache, DateTimeOffset from, DateTimeOffset to, (string, string)? filter, decimal infrastructure, CancellationToken cancellationToken)
    {
        CacheFigures? figures = null;
        if (cache is not null)
        {
            // Best effort: a failing tier reports unknown counts, not an error.
            var s = await cache.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
            figures = new CacheFigures(s.MemoryEntries, s.MemoryBytes, s.StoredEntries, s.StoredBytes, s.CompressionRatio, s.DictionaryId, s.DictionaryTrainedAt);
        }

        return SavingsAnalytics.Build(read.Rows, read.Latency, from, to, filter, infrastructure, figures);
    }
}
