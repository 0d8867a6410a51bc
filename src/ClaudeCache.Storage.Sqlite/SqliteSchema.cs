using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>
/// The schema and the statements of the store. The schema version lives in <c>PRAGMA user_version</c>: 0 means
/// a new file, <see cref="Version"/> is this build's, anything higher was written by a newer build and is refused
/// rather than guessed at.
/// </summary>
/// <remarks>
/// <c>payload</c> is the last column on purpose: SQLite stores a row's columns in order and spills large values
/// to overflow pages, so any column after a large blob would cost a walk of its overflow chain to read. With the
/// blob last, expiry checks, sums and eviction read only the small head of each row. The index on
/// <c>(last_access, size)</c> covers size sums and eviction order without touching the table.
/// </remarks>
internal static class SqliteSchema
{
    internal const int Version = 1;

    private const string Create = """
        CREATE TABLE IF NOT EXISTS entries (
            key         TEXT PRIMARY KEY,
            size        INTEGER NOT NULL,
            created_at  INTEGER,
            expires_at  INTEGER NOT NULL,
            last_access INTEGER NOT NULL,
            fresh_until INTEGER,
            payload     BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_entries_expires_at ON entries (expires_at);
        CREATE INDEX IF NOT EXISTS ix_entries_last_access ON entries (last_access, size);
        """;

    // Additive and read only by builds that know it, so it needs no schema version of its own: created on every
    // start (a no-op when present), also in files an earlier build created.
    private const string CreateDictionaries = """
        CREATE TABLE IF NOT EXISTS dictionaries (
            id          INTEGER PRIMARY KEY,
            created_at  INTEGER NOT NULL,
            bytes       BLOB NOT NULL
        );
        CREATE TABLE IF NOT EXISTS tombstones (
            key         TEXT PRIMARY KEY,
            reason      TEXT NOT NULL,
            expires_at  INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS dictionary_training (
            id          INTEGER PRIMARY KEY CHECK (id = 1),
            owner       TEXT NOT NULL,
            expires_at  INTEGER NOT NULL
        );
        """;

    // The purge index (docs/decisions/0012): additive like the dictionaries, so created on every start, also in files
    // an earlier build created. One row per indexed entry plus one per tag; the triggers drop an entry's rows in the
    // statement that deletes it (removal, expiry, eviction: whoever deletes, the index follows in the same transaction)
    // or replaces its payload (the new write records its own). Strategy has no index: four values do not narrow a scan.
    private const string CreateEntryIndex = """
        CREATE TABLE IF NOT EXISTS entry_index (
            key         TEXT PRIMARY KEY,
            tenant      TEXT NOT NULL,
            namespace   TEXT NOT NULL,
            model       TEXT NOT NULL,
            strategy    TEXT NOT NULL,
            context     TEXT NOT NULL,
            created_at  INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_entry_index_tenant ON entry_index (tenant);
        CREATE INDEX IF NOT EXISTS ix_entry_index_namespace ON entry_index (namespace);
        CREATE INDEX IF NOT EXISTS ix_entry_index_model ON entry_index (model);
        CREATE INDEX IF NOT EXISTS ix_entry_index_context ON entry_index (context);
        CREATE INDEX IF NOT EXISTS ix_entry_index_created_at ON entry_index (created_at);
        CREATE TABLE IF NOT EXISTS entry_tags (
            tag         TEXT NOT NULL,
            key         TEXT NOT NULL,
            PRIMARY KEY (tag, key)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_entry_tags_key ON entry_tags (key);
        CREATE TRIGGER IF NOT EXISTS entries_unindex_on_delete AFTER DELETE ON entries BEGIN
            DELETE FROM entry_index WHERE key = old.key;
            DELETE FROM entry_tags WHERE key = old.key;
        END;
        CREATE TRIGGER IF NOT EXISTS entries_unindex_on_replace AFTER UPDATE OF payload ON entries BEGIN
            DELETE FROM entry_index WHERE key = old.key;
            DELETE FROM entry_tags WHERE key = old.key;
        END;
        """;

    internal const string IndexEntry = """
        INSERT OR REPLACE INTO entry_index (key, tenant, namespace, model, strategy, context, created_at)
        VALUES ($key, $tenant, $namespace, $model, $strategy, $context, $created_at)
        """;

    internal const string TagEntry = "INSERT OR IGNORE INTO entry_tags (tag, key) VALUES ($tag, $key)";

    // One row: whoever holds an unexpired claim trains; anyone may take an expired one.
    internal const string ClaimTraining = """
        INSERT INTO dictionary_training (id, owner, expires_at) VALUES (1, $owner, $expires_at)
        ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
        WHERE dictionary_training.expires_at <= $now OR dictionary_training.owner = excluded.owner
        """;

    internal const string LoadDictionaries = "SELECT id, created_at, bytes FROM dictionaries";

    internal const string GetDictionary = "SELECT id, created_at, bytes FROM dictionaries WHERE id = $id";

    internal const string SaveDictionary = "INSERT OR IGNORE INTO dictionaries (id, created_at, bytes) VALUES ($id, $created_at, $bytes)";

    internal const string RemoveDictionary = "DELETE FROM dictionaries WHERE id = $id";

    internal const string Get = "SELECT expires_at, last_access, payload FROM entries WHERE key = $key";

    // expires_at is when the row may go (the entry's TTL plus its grace); fresh_until is the TTL itself (null in rows
    // written before grace existed: fresh until they go). Rows past fresh_until are evicted first under the cap.
    internal const string Upsert = """
        INSERT INTO entries (key, size, created_at, expires_at, last_access, fresh_until, payload)
        VALUES ($key, $size, $now, $expires_at, $now, $fresh_until, $payload)
        ON CONFLICT (key) DO UPDATE SET
            size = excluded.size, created_at = excluded.created_at, expires_at = excluded.expires_at,
            last_access = excluded.last_access, fresh_until = excluded.fresh_until, payload = excluded.payload
        """;

    // Files created before grace existed get the column (after the payload there; only cleanup reads it).
    private const string HasFreshUntil = "SELECT COUNT(*) FROM pragma_table_info('entries') WHERE name = 'fresh_until'";

    private const string AddFreshUntil = "ALTER TABLE entries ADD COLUMN fresh_until INTEGER";

    internal const string SetTombstone = """
        INSERT INTO tombstones (key, reason, expires_at) VALUES ($key, $reason, $expires_at)
        ON CONFLICT (key) DO UPDATE SET reason = excluded.reason, expires_at = excluded.expires_at
        """;

    internal const string GetTombstone = "SELECT reason FROM tombstones WHERE key = $key AND expires_at > $now";

    internal const string ForgetTombstone = "DELETE FROM tombstones WHERE key = $key";

    // Cleanup leaves a tombstone for every row it deletes (why the next request misses), then bounds the tombstones:
    // expired ones go, and past $max the oldest go.
    internal const string TombstoneExpired = """
        INSERT INTO tombstones (key, reason, expires_at) SELECT key, 'expired', $until FROM entries WHERE expires_at <= $now
        ON CONFLICT (key) DO UPDATE SET reason = excluded.reason, expires_at = excluded.expires_at
        """;

    internal const string DeleteExpiredTombstones = "DELETE FROM tombstones WHERE expires_at <= $now";

    internal const string BoundTombstones = "DELETE FROM tombstones WHERE rowid NOT IN (SELECT rowid FROM tombstones ORDER BY expires_at DESC LIMIT $max)";

    internal const string Remove = "DELETE FROM entries WHERE key = $key";

    // Only moves forward: a late flush must not make an entry look older than a later write made it.
    internal const string Touch = "UPDATE entries SET last_access = $now WHERE key = $key AND last_access < $now";

    internal const string DeleteExpired = "DELETE FROM entries WHERE expires_at <= $now";

    // Keeps the most recently accessed rows whose running total fits in $max and deletes the rest: one statement
    // for "evict least recently used until the total is under the cap". rowid ties make the order total.
    // Rows past their TTL (kept for their grace) are ordered after every fresh row, so they go first.
    internal const string EvictOverCap = """
        DELETE FROM entries WHERE rowid IN (
            SELECT rowid FROM (
                SELECT rowid, SUM(size) OVER (
                    ORDER BY (COALESCE(fresh_until, expires_at) > $now) DESC, last_access DESC, rowid DESC
                    ROWS UNBOUNDED PRECEDING) AS kept
                FROM entries)
            WHERE kept > $max)
        RETURNING key
        """;

    internal const string TotalBytes = "SELECT COALESCE(SUM(size), 0) FROM entries";

    internal const string Statistics = "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM entries";

    /// <summary>Settings that belong to each connection rather than to the file.</summary>
    internal static void ConfigureConnection(SqliteConnection connection, TimeSpan busyTimeout)
    {
        var milliseconds = ((long)busyTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        Execute(connection, $"PRAGMA busy_timeout = {milliseconds}; PRAGMA synchronous = NORMAL;");
    }

    /// <summary>Creates the schema when absent and checks its version. Throws on a file it cannot use.</summary>
    internal static void Ensure(SqliteConnection connection, string path, ILogger logger)
    {
        // WAL lets readers run while one writer writes. The mode is stored in the file, so this is a no-op after
        // the first run; it is also the first statement that reads the file, so a damaged file fails here.
        var journalMode = Convert.ToString(Scalar(connection, "PRAGMA journal_mode = WAL"), CultureInfo.InvariantCulture) ?? "";
        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            Log.NotWal(logger, path, journalMode);
        }

        if (ReadVersion(connection) == Version)
        {
            Execute(connection, CreateDictionaries);
            if (ScalarInt64(connection, HasFreshUntil) == 0)
            {
                Execute(connection, AddFreshUntil);
            }

            Execute(connection, CreateEntryIndex);
            return;
        }

        // IMMEDIATE takes the write lock up front, so two processes creating the file at once do not both create.
        using var transaction = connection.BeginTransaction(deferred: false);
        var version = ReadVersion(connection, transaction);
        if (version == 0)
        {
            Execute(connection, Create, transaction);
            Execute(connection, CreateDictionaries, transaction);
            Execute(connection, CreateEntryIndex, transaction);
            Execute(connection, $"PRAGMA user_version = {Version.ToString(CultureInfo.InvariantCulture)}", transaction);
            transaction.Commit();
            Log.SchemaCreated(logger, Version, path);
        }
        else if (version != Version)
        {
            throw new InvalidOperationException(
                $"The cache database '{path}' has schema version {version}; this build reads version {Version}. " +
                "Use a newer build, or another file.");
        }
    }

    internal static long ScalarInt64(SqliteConnection connection, string sql, SqliteTransaction? transaction = null) =>
        Convert.ToInt64(Scalar(connection, sql, transaction), CultureInfo.InvariantCulture);

    internal static int Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null, long? now = null, long? max = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        if (now is { } n)
        {
            command.Parameters.AddWithValue("$now", n);
        }

        if (max is { } m)
        {
            command.Parameters.AddWithValue("$max", m);
        }

        return command.ExecuteNonQuery();
    }

    private static int ReadVersion(SqliteConnection connection, SqliteTransaction? transaction = null) =>
        (int)ScalarInt64(connection, "PRAGMA user_version", transaction);

    private static object? Scalar(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command.ExecuteScalar();
    }
}
