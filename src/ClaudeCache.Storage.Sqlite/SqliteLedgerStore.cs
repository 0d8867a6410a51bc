using ClaudeCache.Costs;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>
/// The ledger in the same SQLite file as the cache, in its own tables. Additions are upserts that add counts, so
/// the proxy and in-process users of one file write side by side, and the figures survive restarts.
/// </summary>
public sealed partial class SqliteLedgerStore : ILedgerStore
{
    private const string Schema = """
        PRAGMA journal_mode=WAL;
        CREATE TABLE IF NOT EXISTS ledger (
            minute INTEGER NOT NULL, model TEXT NOT NULL, strategy TEXT NOT NULL, context TEXT NOT NULL,
            tenant TEXT NOT NULL, outcome TEXT NOT NULL,
            requests INTEGER NOT NULL, price_unknown INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
            cache_write_5m_tokens INTEGER NOT NULL, cache_write_1h_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
            avoided_input_tokens INTEGER NOT NULL, avoided_output_tokens INTEGER NOT NULL,
            cost_nanos INTEGER NOT NULL, avoided_nanos INTEGER NOT NULL, latency_micros INTEGER NOT NULL,
            prompt_cache_calls INTEGER NOT NULL DEFAULT 0, prompt_cache_saved_nanos INTEGER NOT NULL DEFAULT 0,
            prompt_cache_write_nanos INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (minute, model, strategy, context, tenant, outcome, reason)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS ledger_latency (
            minute INTEGER NOT NULL, class TEXT NOT NULL, slot INTEGER NOT NULL, count INTEGER NOT NULL,
            PRIMARY KEY (minute, class, slot)) WITHOUT ROWID;
        """;

    // Columns added after the first release, with their type: a file an earlier build created gets them (at 0) on open.
    private static readonly (string Name, string Type)[] AddedColumns =
    [
        ("prompt_cache_calls", "INTEGER NOT NULL DEFAULT 0"),
        ("prompt_cache_saved_nanos", "INTEGER NOT NULL DEFAULT 0"),
        ("prompt_cache_write_nanos", "INTEGER NOT NULL DEFAULT 0"),
    ];

    // Every column of a row, named in the order the statements below write and read them: a migrated file has the
    // added columns where ALTER TABLE put them, so nothing relies on the table's own order.
    private const string Columns = """
        minute, model, strategy, context, tenant, outcome, requests, price_unknown, input_tokens, output_tokens,
        cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, avoided_input_tokens, avoided_output_tokens,
        cost_nanos, avoided_nanos, latency_micros, prompt_cache_calls, prompt_cache_saved_nanos, prompt_cache_write_nanos, reason
        """;

    // A file from before the reason was part of a row's key: the table is rebuilt with the new key, its rows kept
    // (reason ''), in one transaction.
    private const string AddReasonToKey = """
        CREATE TABLE ledger_with_reason (
            minute INTEGER NOT NULL, model TEXT NOT NULL, strategy TEXT NOT NULL, context TEXT NOT NULL,
            tenant TEXT NOT NULL, outcome TEXT NOT NULL,
            requests INTEGER NOT NULL, price_unknown INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
            cache_write_5m_tokens INTEGER NOT NULL, cache_write_1h_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
            avoided_input_tokens INTEGER NOT NULL, avoided_output_tokens INTEGER NOT NULL,
            cost_nanos INTEGER NOT NULL, avoided_nanos INTEGER NOT NULL, latency_micros INTEGER NOT NULL,
            prompt_cache_calls INTEGER NOT NULL DEFAULT 0, prompt_cache_saved_nanos INTEGER NOT NULL DEFAULT 0,
            prompt_cache_write_nanos INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (minute, model, strategy, context, tenant, outcome, reason)) WITHOUT ROWID;
        """ + "INSERT INTO ledger_with_reason (" + Columns + """
        )
        SELECT minute, model, strategy, context, tenant, outcome, requests, price_unknown, input_tokens, output_tokens,
            cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, avoided_input_tokens, avoided_output_tokens,
            cost_nanos, avoided_nanos, latency_micros, prompt_cache_calls, prompt_cache_saved_nanos, prompt_cache_write_nanos, ''
        FROM ledger;
        DROP TABLE ledger;
        ALTER TABLE ledger_with_reason RENAME TO ledger;
        """;

    // A row for a (minute, dimensions) already present adds its counts to it: new rows and retention's folds alike.
    private const string AddToExistingRow = """

        ON CONFLICT (minute, model, strategy, context, tenant, outcome, reason) DO UPDATE SET
            requests = requests + excluded.requests, price_unknown = price_unknown + excluded.price_unknown,
            input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
            cache_write_5m_tokens = cache_write_5m_tokens + excluded.cache_write_5m_tokens,
            cache_write_1h_tokens = cache_write_1h_tokens + excluded.cache_write_1h_tokens,
            cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
            avoided_input_tokens = avoided_input_tokens + excluded.avoided_input_tokens,
            avoided_output_tokens = avoided_output_tokens + excluded.avoided_output_tokens,
            cost_nanos = cost_nanos + excluded.cost_nanos, avoided_nanos = avoided_nanos + excluded.avoided_nanos,
            latency_micros = latency_micros + excluded.latency_micros,
            prompt_cache_calls = prompt_cache_calls + excluded.prompt_cache_calls,
            prompt_cache_saved_nanos = prompt_cache_saved_nanos + excluded.prompt_cache_saved_nanos,
            prompt_cache_write_nanos = prompt_cache_write_nanos + excluded.prompt_cache_write_nanos
        """;

    private const string UpsertRow = "INSERT INTO ledger (" + Columns + """
        ) VALUES ($minute, $model, $strategy, $context, $tenant, $outcome, $requests, $unknown,
            $input, $output, $w5m, $w1h, $read, $ainput, $aoutput, $cost, $avoided, $latency, $pcCalls, $pcSaved, $pcWrite, $reason)
        """ + AddToExistingRow;

    private const string UpsertLatency = """
        INSERT INTO ledger_latency VALUES ($minute, $class, $slot, $count)
        ON CONFLICT (minute, class, slot) DO UPDATE SET count = count + excluded.count
        """;

    // Retention: the minutes of whole days before $fold are added into their day's first minute, then removed.
    // "WHERE true" lets SQLite parse the upsert after a SELECT.
    private const string Fold = "INSERT INTO ledger (" + Columns + """
        )
        SELECT minute / 1440 * 1440, model, strategy, context, tenant, outcome, SUM(requests), SUM(price_unknown),
            SUM(input_tokens), SUM(output_tokens), SUM(cache_write_5m_tokens), SUM(cache_write_1h_tokens), SUM(cache_read_tokens),
            SUM(avoided_input_tokens), SUM(avoided_output_tokens), SUM(cost_nanos), SUM(avoided_nanos), SUM(latency_micros),
            SUM(prompt_cache_calls), SUM(prompt_cache_saved_nanos), SUM(prompt_cache_write_nanos), reason
        FROM ledger WHERE minute < $fold AND minute % 1440 <> 0
        GROUP BY minute / 1440, model, strategy, context, tenant, outcome, reason
        HAVING true
        """ + AddToExistingRow + """
        ;
        DELETE FROM ledger WHERE minute < $fold AND minute % 1440 <> 0;
        INSERT INTO ledger_latency
        SELECT minute / 1440 * 1440, class, slot, SUM(count) FROM ledger_latency
        WHERE minute < $fold AND minute % 1440 <> 0 GROUP BY minute / 1440, class, slot
        HAVING true
        ON CONFLICT (minute, class, slot) DO UPDATE SET count = count + excluded.count;
        DELETE FROM ledger_latency WHERE minute < $fold AND minute % 1440 <> 0;
        DELETE FROM ledger WHERE minute < $delete;
        DELETE FROM ledger_latency WHERE minute < $delete;
        """;

    private readonly string _connectionString;
    private readonly string _path;
    private readonly SqliteFileGuard _guard;
    private int _schemaReady;
    private int _opened;

    /// <summary>Opens (lazily) the ledger tables in <paramref name="path"/>.</summary>
    public SqliteLedgerStore(string path)
        : this(path, exclusive: false)
    {
    }

    /// <summary>
    /// Opens (lazily) the ledger tables in <paramref name="path"/>; with <paramref name="exclusive"/> through SQLite's
    /// <c>unix-excl</c> VFS, as every other store of the file in this process must then be
    /// (<see cref="SqliteStoreOptions.Exclusive"/>).
    /// </summary>
    public SqliteLedgerStore(string path, bool exclusive)
    {
        ArgumentNullException.ThrowIfNull(path);
        _path = path;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = SqliteDataSource.For(path, exclusive), Pooling = true, DefaultTimeout = 5 }.ToString();
        _guard = new SqliteFileGuard(path, exclusive);
    }

    /// <summary>This store's view of the file's WAL index, shared with every other store of the file in this process.</summary>
    internal StoreFault InspectWalIndex() => _guard.InspectWalIndex();

    /// <summary>
    /// The ledger tables of <paramref name="path"/> alone (no cache store on the file), behind the same WAL index check
    /// as the cache's (<see cref="SqliteFileGuard"/>): while the <c>-shm</c> file is unwritable, or truncated under
    /// this process's mapping, every call fails with an <see cref="IOException"/> instead of letting SQLite fault on the
    /// mapping (a SIGBUS that ends the process).
    /// </summary>
    public static ILedgerStore OpenGuarded(string path) => OpenGuarded(path, exclusive: false);

    /// <summary>
    /// <see cref="OpenGuarded(string)"/>, with <paramref name="exclusive"/> through SQLite's <c>unix-excl</c> VFS
    /// (<see cref="SqliteStoreOptions.Exclusive"/>): no <c>-shm</c> file, so nothing for the check to find.
    /// </summary>
    public static ILedgerStore OpenGuarded(string path, bool exclusive)
    {
        // Whether the WAL index is mapped is asked of the whole process: a cache store (or another ledger store) on the
        // same file may have mapped it before this one opened anything, and SQLite shares that mapping with this one.
        var store = new SqliteLedgerStore(path, exclusive);
        return new FaultGuardedLedgerStore(store, store.InspectWalIndex);
    }

    /// <inheritdoc />
    public async Task AddAsync(IReadOnlyCollection<LedgerRow> rows, IReadOnlyCollection<LatencyRow> latencies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(latencies);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                foreach (var row in rows)
                {
                    using var command = connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = UpsertRow;
                    var p = command.Parameters;
                    p.AddWithValue("$minute", row.Minute);
                    p.AddWithValue("$model", row.Model);
                    p.AddWithValue("$strategy", row.Strategy);
                    p.AddWithValue("$context", row.Context);
                    p.AddWithValue("$tenant", row.Tenant);
                    p.AddWithValue("$outcome", row.Outcome);
                    p.AddWithValue("$requests", row.Requests);
                    p.AddWithValue("$unknown", row.PriceUnknown);
                    p.AddWithValue("$input", row.InputTokens);
                    p.AddWithValue("$output", row.OutputTokens);
                    p.AddWithValue("$w5m", row.CacheWrite5mTokens);
                    p.AddWithValue("$w1h", row.CacheWrite1hTokens);
                    p.AddWithValue("$read", row.CacheReadTokens);
                    p.AddWithValue("$ainput", row.AvoidedInputTokens);
                    p.AddWithValue("$aoutput", row.AvoidedOutputTokens);
                    p.AddWithValue("$cost", row.CostNanos);
                    p.AddWithValue("$avoided", row.AvoidedNanos);
                    p.AddWithValue("$latency", row.LatencyMicros);
                    p.AddWithValue("$pcCalls", row.PromptCacheCalls);
                    p.AddWithValue("$pcSaved", row.PromptCacheSavedNanos);
                    p.AddWithValue("$pcWrite", row.PromptCacheWriteNanos);
                    p.AddWithValue("$reason", row.Reason);
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                foreach (var latency in latencies)
                {
                    using var command = connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = UpsertLatency;
                    command.Parameters.AddWithValue("$minute", latency.Minute);
                    command.Parameters.AddWithValue("$class", latency.Class);
                    command.Parameters.AddWithValue("$slot", latency.Slot);
                    command.Parameters.AddWithValue("$count", latency.Count);
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LedgerRow>> QueryAsync(long fromMinute, long toMinute, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT " + Columns + " FROM ledger WHERE minute >= $from AND minute < $to";
            command.Parameters.AddWithValue("$from", fromMinute);
            command.Parameters.AddWithValue("$to", toMinute);
            var rows = new List<LedgerRow>();
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(new LedgerRow
                    {
                        Minute = reader.GetInt64(0),
                        Model = reader.GetString(1),
                        Strategy = reader.GetString(2),
                        Context = reader.GetString(3),
                        Tenant = reader.GetString(4),
                        Outcome = reader.GetString(5),
                        Requests = reader.GetInt64(6),
                        PriceUnknown = reader.GetInt64(7),
                        InputTokens = reader.GetInt64(8),
                        OutputTokens = reader.GetInt64(9),
                        CacheWrite5mTokens = reader.GetInt64(10),
                        CacheWrite1hTokens = reader.GetInt64(11),
                        CacheReadTokens = reader.GetInt64(12),
                        AvoidedInputTokens = reader.GetInt64(13),
                        AvoidedOutputTokens = reader.GetInt64(14),
                        CostNanos = reader.GetInt64(15),
                        AvoidedNanos = reader.GetInt64(16),
                        LatencyMicros = reader.GetInt64(17),
                        PromptCacheCalls = reader.GetInt64(18),
                        PromptCacheSavedNanos = reader.GetInt64(19),
                        PromptCacheWriteNanos = reader.GetInt64(20),
                        Reason = reader.GetString(21),
                    });
                }
            }

            return rows;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LatencyRow>> QueryLatencyAsync(long fromMinute, long toMinute, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT minute, class, slot, count FROM ledger_latency WHERE minute >= $from AND minute < $to";
            command.Parameters.AddWithValue("$from", fromMinute);
            command.Parameters.AddWithValue("$to", toMinute);
            var rows = new List<LatencyRow>();
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(new LatencyRow(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3)));
                }
            }

            return rows;
        }
    }

    /// <inheritdoc />
    /// <remarks>One transaction: another process adding or pruning at the same time sees all of it or none of it.</remarks>
    public async Task PruneAsync(long foldBeforeMinute, long deleteBeforeMinute, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = Fold;
                command.Parameters.AddWithValue("$fold", foldBeforeMinute);
                command.Parameters.AddWithValue("$delete", deleteBeforeMinute);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Adds the columns an earlier build's file lacks, at 0, so its rows keep adding up. In a transaction (Microsoft.Data.Sqlite begins IMMEDIATE ones):
    /// of two processes opening the same old file, the second finds the columns there.
    /// </summary>
    private static async Task AddMissingColumnsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        if ((await ExistingColumnsAsync(connection, null, cancellationToken).ConfigureAwait(false)).IsSupersetOf(AddedColumns.Select(c => c.Name).Append("reason")))
        {
            return;
        }

        var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var existing = await ExistingColumnsAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            foreach (var (name, type) in AddedColumns.Where(c => !existing.Contains(c.Name)))
            {
                using var alter = connection.CreateCommand();
                alter.Transaction = transaction;
                alter.CommandText = $"ALTER TABLE ledger ADD COLUMN {name} {type}";
                await alter.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (!existing.Contains("reason"))
            {
                using var rebuild = connection.CreateCommand();
                rebuild.Transaction = transaction;
                rebuild.CommandText = AddReasonToKey;
                await rebuild.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<HashSet<string>> ExistingColumnsAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT name FROM pragma_table_info('ledger')";
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                names.Add(reader.GetString(0));
            }
        }

        return names;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            // Pooled connections stay open once made (out of sight, in Microsoft.Data.Sqlite's pool): from the first,
            // this process may hold the WAL index mapped for as long as it runs.
            if (Interlocked.Exchange(ref _opened, 1) == 0)
            {
                _guard.ConnectionOpened();
            }

            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (Volatile.Read(ref _schemaReady) == 0)
            {
                using (var command = connection.CreateCommand())
                {
                    command.CommandText = Schema;
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await AddMissingColumnsAsync(connection, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _schemaReady, 1);
            }

            return connection;
        }
        catch (Exception exception) when (SqliteDataSource.IsLocked(exception))
        {
            // Readers never wait in WAL mode: locked past the timeout at open is another process holding the file.
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new IOException(SqliteDataSource.HeldElsewhere(_path), exception);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
