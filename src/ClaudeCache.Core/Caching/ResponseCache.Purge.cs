using Microsoft.Extensions.Logging;

namespace ClaudeCache.Caching;

/// <summary>Bulk invalidation: removing every entry a <see cref="PurgeFilter"/> selects (docs/invalidation.md).</summary>
public sealed partial class ResponseCache
{
    /// <summary>
    /// Removes the entries matching <paramref name="filter"/> from every tier — this instance's memory, the second
    /// tier (through its <see cref="IEntryIndex"/>) and, through the <see cref="Backplane"/>, every other instance's
    /// memory — and counts them; with <paramref name="dryRun"/> it only counts. The store is worked through in bounded
    /// batches, each evicted and published as it is removed, so requests keep being served meanwhile.
    /// </summary>
    /// <returns>How many distinct entries matched and were removed (counts, never keys).</returns>
    /// <exception cref="ArgumentException">The filter is empty or invalid (<see cref="PurgeFilter.Validate"/>).</exception>
    /// <remarks>
    /// Unlike reads and writes, a purge does not fail open: a second tier that fails (Redis down) throws, since a purge
    /// reported as done must be done. What was removed before the failure stays removed; run it again.
    /// </remarks>
    public async Task<PurgeResult> PurgeAsync(PurgeFilter filter, bool dryRun, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(filter));
        }

        // Entries this instance stored itself; the ones it promoted from the store are found through the store's index.
        var local = _memory.Matching(filter, _time.GetUtcNow());
        long matched = 0;
        if (_secondTier is IEntryIndex index)
        {
            await foreach (var batch in index.PurgeAsync(filter, dryRun, cancellationToken).ConfigureAwait(false))
            {
                matched += batch.Count;
                foreach (var key in batch)
                {
                    local.Remove(key);
                    if (!dryRun)
                    {
                        _memory.Remove(key);
                    }
                }

                if (!dryRun)
                {
                    await PublishEvictionsAsync(batch).ConfigureAwait(false);
                }
            }
        }

        matched += local.Count;
        if (!dryRun && local.Count > 0)
        {
            foreach (var key in local)
            {
                _memory.Remove(key);
            }

            // Not in the store (its write failed or is still queued), but maybe promoted elsewhere from a copy.
            await PublishEvictionsAsync([.. local]).ConfigureAwait(false);
        }

        Log.Purged(_logger, matched, dryRun);
        if (!dryRun)
        {
            _metrics.Purged(PurgeKinds.Of(filter), matched);
        }

        return new PurgeResult(matched, dryRun ? 0 : matched, dryRun);
    }

    private async Task PublishEvictionsAsync(IReadOnlyList<string> hexKeys)
    {
        if (Backplane is not { } backplane || hexKeys.Count == 0)
        {
            return;
        }

        try
        {
            await backplane.PublishEvictionsAsync(hexKeys, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A lost eviction leaves another instance's memory copy until its TTL; the store's copy is gone.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _metrics.StoreError("backplane");
            Log.SecondTierWriteFailed(_logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Purge matched {Count} entries (dry run: {DryRun})")]
        public static partial void Purged(ILogger logger, long count, bool dryRun);
    }
}
