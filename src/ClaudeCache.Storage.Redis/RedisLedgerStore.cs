using System.Globalization;
using ClaudeCache.Costs;
using StackExchange.Redis;

namespace ClaudeCache.Storage.Redis;

/// <summary>
/// The savings ledger on Redis, so <c>/admin/stats</c> on any instance shows the whole fleet. Each minute is a hash
/// of integer counters that every instance adds to with <c>HINCRBY</c> (exact, order-free), indexed by a sorted set
/// of minutes. Calls are pipelined on the shared multiplexer.
/// </summary>
/// <remarks>
/// Every key written expires <see cref="RedisStoreOptions.LedgerTimeToLive"/> after its last write (the index too), and
/// each flush drops the index's minutes older than that, so the ledger cannot outgrow its retention even when no
/// instance prunes. <see cref="PruneAsync"/> deletes minutes before the ledger's own retention: instances cannot fold
/// minutes into days safely side by side (two would add the same minute twice), so on Redis old minutes are deleted.
/// </remarks>
public sealed partial class RedisLedgerStore(RedisConnection connection) : ILedgerStore
{
    // Unit separator: cannot appear in a model id, strategy, context type, tenant tag, outcome or reason.
    private const char Separator = '\u001f';

    // Flushes are off the request path and may carry many rows: a wider bound than single-entry operations.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static readonly string[] Metrics =
    [
        "requests", "price_unknown", "input", "output", "w5m", "w1h", "read", "ainput", "aoutput", "cost", "avoided", "latency",
        "pc_calls", "pc_saved", "pc_write",
    ];

    /// <inheritdoc />
    public async Task AddAsync(IReadOnlyCollection<LedgerRow> rows, IReadOnlyCollection<LatencyRow> latencies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(latencies);
        var prefix = connection.Options.KeyPrefix;
        var database = await connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var batch = database.CreateBatch();
        var pending = new List<Task>();
        var ttl = connection.Options.LedgerTimeToLive;
        var index = RedisKeys.LedgerIndex(prefix);
        var minutes = rows.Select(r => r.Minute).Concat(latencies.Select(l => l.Minute)).Distinct().ToList();
        foreach (var minute in minutes)
        {
            pending.Add(batch.SortedSetAddAsync(index, minute, minute));
        }

        if (minutes.Count > 0)
        {
            // Minutes whose keys have expired leave the index with them.
            pending.Add(batch.SortedSetRemoveRangeByScoreAsync(index, double.NegativeInfinity, minutes.Max() - (long)ttl.TotalMinutes, Exclude.Stop));
            pending.Add(batch.KeyExpireAsync(index, ttl));
        }

        foreach (var row in rows)
        {
            var key = RedisKeys.LedgerMinute(prefix, row.Minute);
            // A reason is a sixth part when there is one: rows without one keep the fields they always had.
            var dimensions = row.Reason.Length == 0
                ? string.Join(Separator, row.Model, row.Strategy, row.Context, row.Tenant, row.Outcome)
                : string.Join(Separator, row.Model, row.Strategy, row.Context, row.Tenant, row.Outcome, row.Reason);
            long[] values =
            [
                row.Requests, row.PriceUnknown, row.InputTokens, row.OutputTokens, row.CacheWrite5mTokens, row.CacheWrite1hTokens,
                row.CacheReadTokens, row.AvoidedInputTokens, row.AvoidedOutputTokens, row.CostNanos, row.AvoidedNanos, row.LatencyMicros,
                row.PromptCacheCalls, row.PromptCacheSavedNanos, row.PromptCacheWriteNanos,
            ];
            for (var i = 0; i < Metrics.Length; i++)
            {
                if (values[i] != 0)
                {
                    pending.Add(batch.HashIncrementAsync(key, dimensions + Separator + Metrics[i], values[i]));
                }
            }
        }

        foreach (var latency in latencies)
        {
            pending.Add(batch.HashIncrementAsync(
                RedisKeys.LedgerLatency(prefix, latency.Minute),
                latency.Class + Separator + latency.Slot.ToString(CultureInfo.InvariantCulture),
                latency.Count));
        }

        foreach (var minute in rows.Select(r => r.Minute).Distinct())
        {
            pending.Add(batch.KeyExpireAsync(RedisKeys.LedgerMinute(prefix, minute), ttl));
        }

        foreach (var minute in latencies.Select(l => l.Minute).Distinct())
        {
            pending.Add(batch.KeyExpireAsync(RedisKeys.LedgerLatency(prefix, minute), ttl));
        }

        batch.Execute();
        await Task.WhenAll(pending).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LedgerRow>> QueryAsync(long fromMinute, long toMinute, CancellationToken cancellationToken)
    {
        var (database, minutes) = await MinutesAsync(fromMinute, toMinute, cancellationToken).ConfigureAwait(false);
        var prefix = connection.Options.KeyPrefix;
        var hashes = await Task.WhenAll(minutes.Select(m => database.HashGetAllAsync(RedisKeys.LedgerMinute(prefix, m)))).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
        var rows = new List<LedgerRow>();
        for (var i = 0; i < minutes.Length; i++)
        {
            var byDimensions = new Dictionary<string, LedgerRow>(StringComparer.Ordinal);
            foreach (var entry in hashes[i])
            {
                var field = (string)entry.Name!;
                var cut = field.LastIndexOf(Separator);
                var dimensions = field[..cut];
                if (!byDimensions.TryGetValue(dimensions, out var row))
                {
                    var parts = dimensions.Split(Separator);
                    row = new LedgerRow { Minute = minutes[i], Model = parts[0], Strategy = parts[1], Context = parts[2], Tenant = parts[3], Outcome = parts[4], Reason = parts.Length > 5 ? parts[5] : "" };
                    byDimensions[dimensions] = row;
                }

                Set(row, field[(cut + 1)..], (long)entry.Value);
            }

            rows.AddRange(byDimensions.Values);
        }

        return rows;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LatencyRow>> QueryLatencyAsync(long fromMinute, long toMinute, CancellationToken cancellationToken)
    {
        var (database, minutes) = await MinutesAsync(fromMinute, toMinute, cancellationToken).ConfigureAwait(false);
        var prefix = connection.Options.KeyPrefix;
        var hashes = await Task.WhenAll(minutes.Select(m => database.HashGetAllAsync(RedisKeys.LedgerLatency(prefix, m)))).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
        var rows = new List<LatencyRow>();
        for (var i = 0; i < minutes.Length; i++)
        {
            foreach (var entry in hashes[i])
            {
                var field = (string)entry.Name!;
                var cut = field.IndexOf(Separator, StringComparison.Ordinal);
                rows.Add(new LatencyRow(minutes[i], field[..cut], int.Parse(field[(cut + 1)..], CultureInfo.InvariantCulture), (long)entry.Value));
            }
        }

        return rows;
    }

    /// <inheritdoc />
    public async Task PruneAsync(long foldBeforeMinute, long deleteBeforeMinute, CancellationToken cancellationToken)
    {
        var (database, minutes) = await MinutesAsync(long.MinValue, foldBeforeMinute, cancellationToken).ConfigureAwait(false);
        if (minutes.Length == 0)
        {
            return;
        }

        var prefix = connection.Options.KeyPrefix;
        // One key a command: the keys of different minutes may live on different cluster nodes.
        var deletes = minutes.SelectMany(m => new[] { RedisKeys.LedgerMinute(prefix, m), RedisKeys.LedgerLatency(prefix, m) })
            .Select(k => (Task)database.KeyDeleteAsync(k))
            .Append(database.SortedSetRemoveRangeByScoreAsync(RedisKeys.LedgerIndex(prefix), double.NegativeInfinity, foldBeforeMinute, Exclude.Stop));
        await Task.WhenAll(deletes).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(IDatabase Database, long[] Minutes)> MinutesAsync(long fromMinute, long toMinute, CancellationToken cancellationToken)
    {
        var database = await connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var values = await database.SortedSetRangeByScoreAsync(RedisKeys.LedgerIndex(connection.Options.KeyPrefix), fromMinute, toMinute, Exclude.Stop)
            .WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
        return (database, values.Select(v => (long)v).ToArray());
    }

    private static void Set(LedgerRow row, string metric, long value)
    {
        switch (metric)
        {
            case "requests": row.Requests = value; break;
            case "price_unknown": row.PriceUnknown = value; break;
            case "input": row.InputTokens = value; break;
            case "output": row.OutputTokens = value; break;
            case "w5m": row.CacheWrite5mTokens = value; break;
            case "w1h": row.CacheWrite1hTokens = value; break;
            case "read": row.CacheReadTokens = value; break;
            case "ainput": row.AvoidedInputTokens = value; break;
            case "aoutput": row.AvoidedOutputTokens = value; break;
            case "cost": row.CostNanos = value; break;
            case "avoided": row.AvoidedNanos = value; break;
            case "latency": row.LatencyMicros = value; break;
            case "pc_calls": row.PromptCacheCalls = value; break;
            case "pc_saved": row.PromptCacheSavedNanos = value; break;
            case "pc_write": row.PromptCacheWriteNanos = value; break;
            default: break; // a counter from a newer version: ignored, not fatal
        }
    }
}
