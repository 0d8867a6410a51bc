namespace ClaudeCache.Costs;

/// <summary>Turns ledger rows into a <see cref="SavingsReport"/>. Pure: no I/O, no clock.</summary>
public static class SavingsAnalytics
{
    /// <summary>
    /// Builds the report over <paramref name="rows"/> (already limited to [from, to)). <paramref name="filter"/> is
    /// <c>dimension=value</c> over model, strategy, context, tenant or outcome. The projection extrapolates the
    /// whole range to an average month and year.
    /// </summary>
    public static SavingsReport Build(
        IReadOnlyList<LedgerRow> rows,
        IReadOnlyList<LatencyRow> latency,
        DateTimeOffset from,
        DateTimeOffset to,
        (string Dimension, string Value)? filter,
        decimal monthlyInfrastructureCostUsd,
        CacheFigures? cache = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(latency);
        var selected = filter is { } f ? rows.Where(r => Dimension(r, f.Dimension) == f.Value).ToList() : rows;
        var totals = Figures("total", selected);
        var window = to - from;
        // The bucket follows the span of the data, not of the range: a day-old install asked for 24 h gets minutes
        // or hours, not one point.
        var span = selected.Count == 0 ? window : to - Max(from, DateTimeOffset.FromUnixTimeSeconds(selected.Min(r => r.Minute) * 60));
        var (granularity, bucketMinutes) = span <= TimeSpan.FromHours(3) ? ("minute", 1L) : span <= TimeSpan.FromDays(4) ? ("hour", 60L) : ("day", 1440L);
        var series = selected.GroupBy(r => r.Minute / bucketMinutes * bucketMinutes)
            .OrderBy(g => g.Key)
            .Select(g => Figures(DateTimeOffset.FromUnixTimeSeconds(g.Key * 60).ToString("O", System.Globalization.CultureInfo.InvariantCulture), g))
            .ToList();

        return new SavingsReport
        {
            From = from,
            To = to,
            Filter = filter is { } applied ? $"{applied.Dimension}={applied.Value}" : null,
            Totals = totals,
            Projection = Project(totals, window, monthlyInfrastructureCostUsd),
            ByStrategy = GroupBy(selected, r => r.Strategy),
            ByContext = GroupBy(selected, r => r.Context.Length == 0 ? "(none)" : r.Context),
            ByModel = GroupBy(selected, r => r.Model.Length == 0 ? "(unknown)" : r.Model),
            Series = series,
            Granularity = granularity,
            // Latency histograms are kept per minute, not per dimension: under a filter only the count and the
            // mean (summed per row) can be filtered, so the percentiles are left out rather than shown unfiltered.
            HitLatency = Latency(filter is null ? latency : [], selected, hit: true),
            MissLatency = Latency(filter is null ? latency : [], selected, hit: false),
            Cache = cache,
            Serving = ServingCounts.Of(selected),
        };
    }

    /// <summary>The value of a row's dimension, or null for an unknown dimension.</summary>
    public static string? Dimension(LedgerRow row, string dimension)
    {
        ArgumentNullException.ThrowIfNull(row);
        return dimension switch
        {
            "model" => row.Model,
            "strategy" => row.Strategy,
            "context" => row.Context,
            "tenant" => row.Tenant,
            "outcome" => row.Outcome,
            _ => null,
        };
    }

    /// <summary>Sums a group of rows into figures.</summary>
    public static SavingsFigures Figures(string name, IEnumerable<LedgerRow> rows)
    {
        var sum = new LedgerRow();
        long hits = 0, misses = 0, refreshes = 0, bypasses = 0, errors = 0;
        foreach (var row in rows)
        {
            sum.Add(row);
            switch (row.Outcome)
            {
                case "hit": hits += row.Requests; break;
                case "miss": misses += row.Requests; break;
                case "refresh": refreshes += row.Requests; break;
                case "bypass": bypasses += row.Requests; break;
                default: errors += row.Requests; break;
            }
        }

        var cost = sum.CostNanos / 1_000_000_000m;
        var saved = sum.AvoidedNanos / 1_000_000_000m;
        var without = cost + saved;
        return new SavingsFigures
        {
            Name = name,
            Requests = sum.Requests,
            Hits = hits,
            Misses = misses,
            Refreshes = refreshes,
            Bypasses = bypasses,
            Errors = errors,
            HitRatio = sum.Requests == 0 ? 0 : (double)hits / sum.Requests,
            CostUsd = cost,
            CostWithoutCacheUsd = without,
            SavingsUsd = saved,
            SavingsRatio = without == 0 ? 0 : (double)(saved / without),
            PriceUnknown = sum.PriceUnknown,
            InputTokens = sum.InputTokens,
            OutputTokens = sum.OutputTokens,
            CacheWrite5mTokens = sum.CacheWrite5mTokens,
            CacheWrite1hTokens = sum.CacheWrite1hTokens,
            CacheReadTokens = sum.CacheReadTokens,
            AvoidedInputTokens = sum.AvoidedInputTokens,
            AvoidedOutputTokens = sum.AvoidedOutputTokens,
            PromptCacheMarkedCalls = sum.PromptCacheCalls,
            PromptCacheSavedUsd = sum.PromptCacheSavedNanos / 1_000_000_000m,
            PromptCacheWriteCostUsd = sum.PromptCacheWriteNanos / 1_000_000_000m,
        };
    }

    /// <summary>Most groups listed per dimension; the rest are summed into one named <c>other</c>, so a report stays small.</summary>
    public const int MaxGroups = 100;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static List<SavingsFigures> GroupBy(IEnumerable<LedgerRow> rows, Func<LedgerRow, string> key)
    {
        var groups = rows.GroupBy(key).Select(g => (g.Key, Rows: g.ToList(), Requests: g.Sum(r => r.Requests)))
            .OrderByDescending(g => g.Requests).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (groups.Count <= MaxGroups)
        {
            return groups.Select(g => Figures(g.Key, g.Rows)).ToList();
        }

        var kept = groups.Take(MaxGroups - 1).ToList();
        var rest = groups.Skip(MaxGroups - 1).Concat(kept.Where(g => g.Key == LedgerLimits.Other)).SelectMany(g => g.Rows);
        return kept.Where(g => g.Key != LedgerLimits.Other).Select(g => Figures(g.Key, g.Rows))
            .Append(Figures(LedgerLimits.Other, rest)).ToList();
    }

    private static SavingsProjection Project(SavingsFigures totals, TimeSpan window, decimal infrastructure)
    {
        var monthly = SavingsMath.Project(totals.SavingsUsd, window, SavingsMath.AverageMonth);
        return new SavingsProjection
        {
            Window = window,
            MonthlySavingsUsd = monthly,
            AnnualSavingsUsd = SavingsMath.Project(totals.SavingsUsd, window, SavingsMath.AverageYear),
            MonthlyCostUsd = SavingsMath.Project(totals.CostUsd, window, SavingsMath.AverageMonth),
            MonthlyInfrastructureCostUsd = infrastructure,
            Roi = SavingsMath.ReturnOnInvestment(monthly, infrastructure) is { } roi ? (double)roi : null,
        };
    }

    private static LatencySummary Latency(IReadOnlyList<LatencyRow> rows, IEnumerable<LedgerRow> selected, bool hit)
    {
        long count = 0, micros = 0;
        foreach (var row in selected)
        {
            if ((row.Outcome == "hit") == hit)
            {
                count += row.Requests;
                micros += row.LatencyMicros;
            }
        }

        double? mean = count == 0 ? null : micros / 1000.0 / count;
        var latencyClass = hit ? "hit" : "miss";
        var counts = new long[LatencySlots.UpperBoundsMs.Count];
        foreach (var row in rows)
        {
            if (row.Class == latencyClass && row.Slot >= 0 && row.Slot < counts.Length)
            {
                counts[row.Slot] += row.Count;
            }
        }

        return new LatencySummary(count, Percentile(counts, 0.50), Percentile(counts, 0.95), Percentile(counts, 0.99), mean);
    }

    /// <summary>
    /// A percentile as its slot's upper bound, except in the open last slot (over a minute: a long streamed answer, or
    /// a stalled one), whose bound is infinite: JSON has no infinity, and one such percentile made the whole report
    /// unwritable. It is reported as that slot's lower bound, the largest finite bound: "at least this".
    /// </summary>
    private static double? Percentile(long[] counts, double quantile) => LatencySlots.Percentile(counts, quantile) switch
    {
        double.PositiveInfinity => LatencySlots.UpperBoundsMs[^2],
        var ms => ms,
    };
}
