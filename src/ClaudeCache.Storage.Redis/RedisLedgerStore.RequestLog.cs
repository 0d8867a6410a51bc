using System.Globalization;
using ClaudeCache.Costs;
using StackExchange.Redis;

namespace ClaudeCache.Storage.Redis;

/// <summary>
/// The request log on Redis: a list per hour that every instance appends to, indexed by a sorted set of hours. Every
/// key expires an hour after the log's retention from its last write; pruning deletes hours past the retention and
/// then the oldest rows beyond the row cap.
/// </summary>
public sealed partial class RedisLedgerStore
{
    private const long MsPerHour = 3_600_000;

    /// <inheritdoc />
    public async Task AddRequestsAsync(IReadOnlyCollection<RequestLogRow> rows, TimeSpan retention, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }

        var prefix = connection.Options.KeyPrefix;
        var ttl = retention + TimeSpan.FromHours(1);
        var database = await connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var batch = database.CreateBatch();
        var pending = new List<Task>();
        var index = RedisKeys.RequestLogIndex(prefix);
        foreach (var hour in rows.GroupBy(r => r.AtMs / MsPerHour))
        {
            var key = RedisKeys.RequestLogHour(prefix, hour.Key);
            pending.Add(batch.ListRightPushAsync(key, hour.Select(Serialize).ToArray()));
            pending.Add(batch.KeyExpireAsync(key, ttl));
            pending.Add(batch.SortedSetAddAsync(index, hour.Key, hour.Key));
        }

        pending.Add(batch.KeyExpireAsync(index, ttl));
        batch.Execute();
        await Task.WhenAll(pending).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RequestLogRow>> QueryRequestsAsync(long fromMs, long toMs, CancellationToken cancellationToken)
    {
        var database = await connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var prefix = connection.Options.KeyPrefix;
        var hours = await database.SortedSetRangeByScoreAsync(RedisKeys.RequestLogIndex(prefix), Math.Floor((double)fromMs / MsPerHour), Math.Floor((double)toMs / MsPerHour))
            .WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
        var lists = await Task.WhenAll(hours.Select(h => database.ListRangeAsync(RedisKeys.RequestLogHour(prefix, (long)h)))).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
        // Stable: rows of one time keep the order they were appended in.
        return lists.SelectMany(l => l).Select(v => Parse(v!)).OfType<RequestLogRow>()
            .Where(r => r.AtMs >= fromMs && r.AtMs < toMs).OrderBy(r => r.AtMs).ToList();
    }

    /// <inheritdoc />
    public async Task PruneRequestsAsync(long beforeMs, int maxRows, CancellationToken cancellationToken)
    {
        var database = await connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var prefix = connection.Options.KeyPrefix;
        var index = RedisKeys.RequestLogIndex(prefix);
        var hours = (await database.SortedSetRangeByScoreAsync(index, order: Order.Descending).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false))
            .Select(h => (long)h).ToList();
        var lengths = await Task.WhenAll(hours.Select(h => database.ListLengthAsync(RedisKeys.RequestLogHour(prefix, h)))).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
        var work = new List<Task>();
        long kept = 0;
        for (var i = 0; i < hours.Count; i++)
        {
            var key = RedisKeys.RequestLogHour(prefix, hours[i]);
            // A whole hour before the cutoff, or past the row cap, goes; the hour that crosses the cap keeps its newest rows.
            if ((hours[i] + 1) * MsPerHour <= beforeMs || kept >= maxRows)
            {
                work.Add(database.KeyDeleteAsync(key));
                work.Add(database.SortedSetRemoveAsync(index, hours[i]));
            }
            else if (kept + lengths[i] > maxRows)
            {
                work.Add(database.ListTrimAsync(key, -(maxRows - kept), -1));
            }

            kept += lengths[i];
        }

        await Task.WhenAll(work).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
    }

    private static RedisValue Serialize(RequestLogRow row) => string.Join(
        Separator,
        row.AtMs.ToString(CultureInfo.InvariantCulture), row.Tenant, row.Key, row.Strategy, row.Context, row.Model, row.Outcome,
        row.Lookup ? "1" : "0", row.Store ? "1" : "0", row.TtlSeconds.ToString(CultureInfo.InvariantCulture),
        row.InputTokens.ToString(CultureInfo.InvariantCulture), row.OutputTokens.ToString(CultureInfo.InvariantCulture),
        row.CostNanos.ToString(CultureInfo.InvariantCulture), row.AvoidedNanos.ToString(CultureInfo.InvariantCulture));

    // A row another version wrote with fewer fields is skipped, not fatal.
    private static RequestLogRow? Parse(string value)
    {
        var parts = value.Split(Separator);
        if (parts.Length < 14)
        {
            return null;
        }

        static long Long(string s) => long.Parse(s, CultureInfo.InvariantCulture);
        return new RequestLogRow
        {
            AtMs = Long(parts[0]),
            Tenant = parts[1],
            Key = parts[2],
            Strategy = parts[3],
            Context = parts[4],
            Model = parts[5],
            Outcome = parts[6],
            Lookup = parts[7] == "1",
            Store = parts[8] == "1",
            TtlSeconds = Long(parts[9]),
            InputTokens = Long(parts[10]),
            OutputTokens = Long(parts[11]),
            CostNanos = Long(parts[12]),
            AvoidedNanos = Long(parts[13]),
        };
    }
}
