using ClaudeCache.Caching;

namespace ClaudeCache.Costs;

/// <summary>
/// <see cref="ServingFigures"/> over ledger rows: each row carries the reason its requests were served so
/// (<see cref="LedgerRow.Reason"/>), so the counts are the range's, on every instance sharing the ledger, and survive
/// restarts. Every known reason is present, 0 included.
/// </summary>
public static class ServingCounts
{
    /// <summary>The counts of <paramref name="rows"/> (already filtered to the report's range and dimension).</summary>
    public static ServingFigures Of(IEnumerable<LedgerRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var stale = StaleReasons.All.ToDictionary(r => r, _ => 0L, StringComparer.Ordinal);
        var misses = MissReasonNames.All.ToDictionary(r => r, _ => 0L, StringComparer.Ordinal);
        long staleSavedNanos = 0;
        long revalidations = 0;
        foreach (var row in rows)
        {
            if (stale.TryGetValue(row.Reason, out var served))
            {
                stale[row.Reason] = served + row.Requests;
                staleSavedNanos += row.AvoidedNanos;
            }
            else if (misses.TryGetValue(row.Reason, out var missed))
            {
                misses[row.Reason] = missed + row.Requests;
            }
            else if (row.Reason == LedgerRow.RevalidationReason)
            {
                revalidations += row.Requests;
            }
        }

        return new ServingFigures(stale.Values.Sum(), stale, staleSavedNanos / 1_000_000_000m, revalidations, misses);
    }
}
