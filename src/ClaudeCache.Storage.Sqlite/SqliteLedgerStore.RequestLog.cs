using ClaudeCache.Costs;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>The request log in its own table of the ledger's file, ordered by time; pruned by age and by row count.</summary>
public sealed partial class SqliteLedgerStore
{
    private const string RequestLogSchema = """
        CREATE TABLE IF NOT EXISTS request_log (
            at_ms INTEGER NOT NULL, tenant TEXT NOT NULL, key TEXT NOT NULL, strategy TEXT NOT NULL, context TEXT NOT NULL,
            model TEXT NOT NULL, outcome TEXT NOT NULL, lookup INTEGER NOT NULL, store INTEGER NOT NULL, ttl_seconds INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost_nanos INTEGER NOT NULL, avoided_nanos INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS request_log_at ON request_log (at_ms);
        """;

    private const string RequestLogColumns =
        "at_ms, tenant, key, strategy, context, model, outcome, lookup, store, ttl_seconds, input_tokens, output_tokens, cost_nanos, avoided_nanos";

    // Age first, then the count: the rows past the newest $max (by time) go.
    private const string PruneRequestLog = """
        DELETE FROM request_log WHERE at_ms < $before;
        DELETE FROM request_log WHERE rowid IN (SELECT rowid FROM request_log ORDER BY at_ms DESC, rowid DESC LIMIT -1 OFFSET $max);
        """;

    private static readonly string[] RequestLogParameters =
        ["$at", "$tenant", "$key", "$strategy", "$context", "$model", "$outcome", "$lookup", "$store", "$ttl", "$input", "$output", "$cost", "$avoided"];

    private int _requestLogReady;

    /// <inheritdoc />
    public async Task AddRequestsAsync(IReadOnlyCollection<RequestLogRow> rows, TimeSpan retention, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var connection = await OpenRequestLogAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "INSERT INTO request_log (" + RequestLogColumns + """
                    ) VALUES ($at, $tenant, $key, $strategy, $context, $model, $outcome, $lookup, $store, $ttl, $input, $output, $cost, $avoided)
                    """;
                // One prepared statement for the batch: its parameters take each row's values in turn.
                var parameters = RequestLogParameters.Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
                foreach (var row in rows)
                {
                    object[] values =
                    [
                        row.AtMs, row.Tenant, row.Key, row.Strategy, row.Context, row.Model, row.Outcome, row.Lookup ? 1 : 0, row.Store ? 1 : 0,
                        row.TtlSeconds, row.InputTokens, row.OutputTokens, row.CostNanos, row.AvoidedNanos,
                    ];
                    for (var i = 0; i < values.Length; i++)
                    {
                        parameters[i].Value = values[i];
                    }

                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RequestLogRow>> QueryRequestsAsync(long fromMs, long toMs, CancellationToken cancellationToken)
    {
        var connection = await OpenRequestLogAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT " + RequestLogColumns + " FROM request_log WHERE at_ms >= $from AND at_ms < $to ORDER BY at_ms, rowid";
            command.Parameters.AddWithValue("$from", fromMs);
            command.Parameters.AddWithValue("$to", toMs);
            var rows = new List<RequestLogRow>();
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(new RequestLogRow
                    {
                        AtMs = reader.GetInt64(0),
                        Tenant = reader.GetString(1),
                        Key = reader.GetString(2),
                        Strategy = reader.GetString(3),
                        Context = reader.GetString(4),
                        Model = reader.GetString(5),
                        Outcome = reader.GetString(6),
                        Lookup = reader.GetInt64(7) != 0,
                        Store = reader.GetInt64(8) != 0,
                        TtlSeconds = reader.GetInt64(9),
                        InputTokens = reader.GetInt64(10),
                        OutputTokens = reader.GetInt64(11),
                        CostNanos = reader.GetInt64(12),
                        AvoidedNanos = reader.GetInt64(13),
                    });
                }
            }

            return rows;
        }
    }

    /// <inheritdoc />
    public async Task PruneRequestsAsync(long beforeMs, int maxRows, CancellationToken cancellationToken)
    {
        var connection = await OpenRequestLogAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = PruneRequestLog;
            command.Parameters.AddWithValue("$before", beforeMs);
            command.Parameters.AddWithValue("$max", maxRows);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<SqliteConnection> OpenRequestLogAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _requestLogReady) == 0)
            {
                using var command = connection.CreateCommand();
                command.CommandText = RequestLogSchema;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _requestLogReady, 1);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
