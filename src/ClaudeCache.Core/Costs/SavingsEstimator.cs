namespace ClaudeCache.Costs;

/// <summary>
/// Replays the request log under other TTLs, as the cache would have served it: requests in time order, one entry per
/// key; the first request for a key in the range is a miss (the replay starts cold), a request the policy let look up
/// hits while the entry is fresh (its time is before the entry's expiry), and any other request is a miss whose answer,
/// when the policy let it be stored and the call succeeded, becomes the key's entry (a refresh replaces it). A hit saves
/// the cost of the call whose answer it serves. A pure function of the rows.
/// </summary>
public static class SavingsEstimator
{
    private const decimal NanosPerDollar = 1_000_000_000m;

    /// <summary>
    /// The report for <paramref name="rows"/> (oldest first; rows at the same time in the order given): what was
    /// realised, then <see cref="EstimateScenario.Current"/>, each of <paramref name="candidates"/> and
    /// <see cref="EstimateScenario.Ceiling"/>.
    /// </summary>
    public static EstimateReport Estimate(IReadOnlyList<RequestLogRow> rows, DateTimeOffset from, DateTimeOffset to, IEnumerable<EstimateScenario> candidates)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(candidates);
        var ceiling = Replay(rows, EstimateScenario.Ceiling);
        var scenarios = new List<EstimateFigures> { Replay(rows, EstimateScenario.Current) };
        scenarios.AddRange(candidates.Select(c => Replay(rows, c)));
        scenarios.Add(ceiling);
        var ceilingNanos = ceiling.SavingsUsd;
        var keys = rows.Select(r => r.Key).Distinct(StringComparer.Ordinal).LongCount();
        return new EstimateReport(from, to, rows.Count, keys, WithFraction(Realised(rows), ceilingNanos), scenarios.Select(s => WithFraction(s, ceilingNanos)).ToList());
    }

    /// <summary>What <paramref name="scenario"/> would have hit and saved on <paramref name="rows"/> (no fraction of the ceiling).</summary>
    public static EstimateFigures Replay(IReadOnlyList<RequestLogRow> rows, EstimateScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(scenario);
        var entries = new Dictionary<string, (long ExpiresMs, long CallNanos)>(StringComparer.Ordinal);
        long hits = 0, cost = 0, saved = 0;
        foreach (var row in rows)
        {
            if (row.Lookup && entries.TryGetValue(row.Key, out var entry) && row.AtMs < entry.ExpiresMs)
            {
                hits++;
                saved += entry.CallNanos;
                continue;
            }

            cost += row.CallNanos;
            var ttl = scenario.TtlOf(row);
            // A failed call stores nothing: the key's entry, if any, stays as it was.
            if (ttl > TimeSpan.Zero && row.Outcome != LedgerNames.Of(LedgerOutcome.Error))
            {
                entries[row.Key] = (ExpiresAt(row.AtMs, ttl), row.CallNanos);
            }
        }

        var ttls = scenario.Ttls?.ToDictionary(t => t.Key, t => t.Value.TotalSeconds, StringComparer.Ordinal);
        return Figures(scenario.Name, ttls, rows.Count, hits, cost, saved);
    }

    private static EstimateFigures Realised(IReadOnlyList<RequestLogRow> rows) =>
        Figures("realised", null, rows.Count, rows.LongCount(r => r.Hit), rows.Sum(r => r.CostNanos), rows.Sum(r => r.AvoidedNanos));

    private static EstimateFigures Figures(string name, IReadOnlyDictionary<string, double>? ttls, long requests, long hits, long costNanos, long savedNanos) =>
        new(name, ttls, requests, hits, requests - hits, costNanos / NanosPerDollar, savedNanos / NanosPerDollar,
            requests == 0 ? 0 : (double)hits / requests, FractionOfCeiling: null);

    private static EstimateFigures WithFraction(EstimateFigures figures, decimal ceilingSavings) =>
        figures with { FractionOfCeiling = ceilingSavings > 0 ? (double)(figures.SavingsUsd / ceilingSavings) : null };

    private static long ExpiresAt(long atMs, TimeSpan ttl)
    {
        var ms = ttl.Ticks / TimeSpan.TicksPerMillisecond;
        return ms >= long.MaxValue - atMs ? long.MaxValue : atMs + ms;
    }
}
