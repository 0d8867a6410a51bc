namespace ClaudeCache.Costs;

/// <summary>
/// The request log: one row per request with a key (no content), batched with the ledger's rows and added to the same
/// store on the same flush, kept <see cref="LedgerLimits.RequestLogRetention"/> and at most
/// <see cref="LedgerLimits.RequestLogMaxRows"/> rows. What <see cref="SavingsEstimator"/> replays.
/// </summary>
public sealed partial class SavingsLedger
{
    private List<RequestLogRow> _pendingRequests = [];

    /// <summary>Most request-log rows held between flushes (or while the store is unreachable): ten times the ledger's bound.</summary>
    private int MaxPendingRequests => _limits.MaxPendingRows * 10;

    /// <summary>Request-log rows from <paramref name="from"/> to <paramref name="to"/> (both included), oldest first, after a flush (what the estimate replays).</summary>
    public async Task<IReadOnlyList<RequestLogRow>> QueryRequestsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await FlushQuietlyAsync(prune: false).ConfigureAwait(false);
        // `to` is included: a request served at this very moment is in a range that ends now.
        return await _store.QueryRequestsAsync(from.ToUnixTimeMilliseconds(), to.ToUnixTimeMilliseconds() + 1, cancellationToken).ConfigureAwait(false);
    }

    // Under _gate, with the values the ledger row was filed under (cut and bounded like it).
    private void LogRequest(in LedgerEntry entry, string model, string strategy, string context, string tenant, string outcome)
    {
        if (_limits.RequestLogRetention == TimeSpan.Zero || entry.Request.Key is not { Length: > 0 } key)
        {
            return;
        }

        // One row per request: between two flushes a busy proxy adds thousands, so the bound is wider than the
        // ledger's (whose rows are per minute and dimension), and the oldest tenth goes at once when it is reached.
        var max = MaxPendingRequests;
        if (_pendingRequests.Count >= max)
        {
            var drop = Math.Max(1, max / 10);
            _pendingRequests.RemoveRange(0, drop);
            Dropped("request", drop);
        }

        var hit = entry.Outcome == LedgerOutcome.Hit;
        _pendingRequests.Add(new RequestLogRow
        {
            AtMs = entry.At.ToUnixTimeMilliseconds(),
            Tenant = tenant,
            Key = key,
            Strategy = strategy,
            Context = context,
            Model = model,
            Outcome = outcome,
            Lookup = entry.Request.Lookup,
            Store = entry.Request.Store,
            TtlSeconds = (long)entry.Request.Ttl.TotalSeconds,
            InputTokens = entry.Usage.TotalInputTokens,
            OutputTokens = entry.Usage.OutputTokens,
            CostNanos = hit ? 0 : entry.CostNanos,
            AvoidedNanos = hit ? entry.AvoidedNanos : 0,
        });
    }

    private async Task FlushRequestsAsync(List<RequestLogRow> requests, CancellationToken cancellationToken)
    {
        if (requests.Count == 0)
        {
            return;
        }

        try
        {
            await _store.AddRequestsAsync(requests, _limits.RequestLogRetention, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            RequeueRequests(requests);
            throw;
        }
    }

    private void RequeueRequests(List<RequestLogRow> requests)
    {
        if (requests.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            // Older rows first, and no more than the cap: the newest are worth more than the oldest.
            requests.AddRange(_pendingRequests);
            var excess = requests.Count - MaxPendingRequests;
            if (excess > 0)
            {
                requests.RemoveRange(0, excess);
                Dropped("request", excess);
            }

            _pendingRequests = requests;
        }
    }

    private Task PruneRequestsAsync(CancellationToken cancellationToken)
    {
        // A log turned off (retention zero) is emptied.
        var before = (_time.GetUtcNow() - _limits.RequestLogRetention).ToUnixTimeMilliseconds();
        return _store.PruneRequestsAsync(before, _limits.RequestLogMaxRows, cancellationToken);
    }
}
