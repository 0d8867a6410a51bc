using ClaudeCache.Caching;
using System.Data;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>The store's SQL work, run on one rented connection by <see cref="SqliteSecondTier"/>; synchronous by nature.</summary>
internal static class SqliteOperations
{
    internal static (byte[]? Payload, long LastAccess) Read(PooledConnection connection, string key, long now)
    {
        var command = connection.GetCommand;
        command.Parameters[0].Value = key;
        using var reader = command.ExecuteReader(CommandBehavior.SingleRow);
        if (!reader.Read() || reader.GetInt64(0) <= now)
        {
            return (null, 0); // absent, or expired and waiting for cleanup
        }

        return (reader.GetFieldValue<byte[]>(2), reader.GetInt64(1));
    }

    internal static int Upsert(PooledConnection connection, string key, byte[] payload, long expires, long now) =>
        Upsert(connection, key, payload, expires, expires, now);

    /// <summary>Stores an entry fresh until <paramref name="freshUntil"/> and kept until <paramref name="keepUntil"/>; a stored entry ends its key's tombstone.</summary>
    internal static int Upsert(PooledConnection connection, string key, byte[] payload, long freshUntil, long keepUntil, long now)
    {
        var command = connection.UpsertCommand;
        command.Parameters[0].Value = key;
        command.Parameters[1].Value = payload.LongLength;
        command.Parameters[2].Value = now;
        command.Parameters[3].Value = keepUntil;
        command.Parameters[4].Value = payload;
        command.Parameters[5].Value = freshUntil;
        var written = command.ExecuteNonQuery();
        var forget = connection.ForgetTombstoneCommand;
        forget.Parameters[0].Value = key;
        forget.ExecuteNonQuery();
        return written;
    }

    internal static int SetTombstone(SqliteConnection connection, string key, string reason, long expires)
    {
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SetTombstone;
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$reason", reason);
        command.Parameters.AddWithValue("$expires_at", expires);
        return command.ExecuteNonQuery();
    }

    internal static string? GetTombstone(SqliteConnection connection, string key, long now)
    {
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.GetTombstone;
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$now", now);
        return command.ExecuteScalar() as string;
    }

    internal static int Remove(PooledConnection connection, string key)
    {
        var command = connection.RemoveCommand;
        command.Parameters[0].Value = key;
        return command.ExecuteNonQuery();
    }

    // Entries usually arrive as a whole array from EntryCodec.Encode: use it as is instead of copying.
    internal static byte[] AsArray(ReadOnlyMemory<byte> payload) =>
        MemoryMarshal.TryGetArray(payload, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : payload.ToArray();

    /// <summary>Writes the noted access times in one transaction. Runs under the write lock.</summary>
    internal static void FlushAccess(PooledConnection pooled, List<KeyValuePair<string, long>> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        using var transaction = pooled.Connection.BeginTransaction();
        var command = pooled.TouchCommand;
        command.Transaction = transaction;
        try
        {
            foreach (var (key, time) in batch)
            {
                command.Parameters[0].Value = key;
                command.Parameters[1].Value = time;
                command.ExecuteNonQuery();
            }
        }
        finally
        {
            command.Transaction = null;
        }

        transaction.Commit();
    }

    /// <summary>
    /// Deletes expired rows and evicts over the cap (rows past their TTL first) in one transaction, leaving a tombstone
    /// for each until <paramref name="tombstonesUntil"/>, and bounds the tombstones; runs under the write lock.
    /// </summary>
    internal static (int Expired, int Evicted, long TotalBytes) Cleanup(SqliteConnection connection, long now, long maxBytes, long tombstonesUntil)
    {
        using var transaction = connection.BeginTransaction();
        var remember = tombstonesUntil > now;
        if (remember)
        {
            Run(connection, transaction, SqliteSchema.TombstoneExpired, ("$now", now), ("$until", tombstonesUntil));
        }

        var expired = SqliteSchema.Execute(connection, SqliteSchema.DeleteExpired, transaction, now: now);
        var total = SqliteSchema.ScalarInt64(connection, SqliteSchema.TotalBytes, transaction);
        var evicted = 0;
        if (total > maxBytes)
        {
            var keys = new List<string>();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = SqliteSchema.EvictOverCap;
                command.Transaction = transaction;
                command.Parameters.AddWithValue("$now", now);
                command.Parameters.AddWithValue("$max", maxBytes);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    keys.Add(reader.GetString(0));
                }
            }

            evicted = keys.Count;
            if (remember)
            {
                foreach (var key in keys)
                {
                    Run(connection, transaction, SqliteSchema.SetTombstone, ("$key", key), ("$reason", "evicted"), ("$expires_at", tombstonesUntil));
                }
            }

            total = SqliteSchema.ScalarInt64(connection, SqliteSchema.TotalBytes, transaction);
        }

        SqliteSchema.Execute(connection, SqliteSchema.DeleteExpiredTombstones, transaction, now: now);
        SqliteSchema.Execute(connection, SqliteSchema.BoundTombstones, transaction, max: MaxTombstones);
        transaction.Commit();
        return (expired, evicted, total);
    }

    /// <summary>The most tombstones a file keeps (about 100 bytes each).</summary>
    internal const int MaxTombstones = 100_000;

    private static void Run(SqliteConnection connection, SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    internal static StoreStatistics Statistics(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.Statistics;
        using var reader = command.ExecuteReader(CommandBehavior.SingleRow);
        reader.Read();
        return new StoreStatistics(reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Reads trained dictionaries: all of them, or the one with <paramref name="id"/>.</summary>
    internal static List<StoredDictionary> ReadDictionaries(SqliteConnection connection, uint? id)
    {
        using var command = connection.CreateCommand();
        command.CommandText = id is null ? SqliteSchema.LoadDictionaries : SqliteSchema.GetDictionary;
        if (id is { } one)
        {
            command.Parameters.AddWithValue("$id", (long)one);
        }

        using var reader = command.ExecuteReader();
        var dictionaries = new List<StoredDictionary>();
        while (reader.Read())
        {
            dictionaries.Add(new StoredDictionary(
                (uint)reader.GetInt64(0),
                reader.GetFieldValue<byte[]>(2),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1))));
        }

        return dictionaries;
    }

    internal static int SaveDictionary(SqliteConnection connection, StoredDictionary dictionary)
    {
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.SaveDictionary;
        command.Parameters.AddWithValue("$id", (long)dictionary.Id);
        command.Parameters.AddWithValue("$created_at", dictionary.CreatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$bytes", dictionary.Bytes);
        return command.ExecuteNonQuery();
    }

    internal static int RemoveDictionary(SqliteConnection connection, uint id)
    {
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.RemoveDictionary;
        command.Parameters.AddWithValue("$id", (long)id);
        return command.ExecuteNonQuery();
    }

    /// <summary>Takes the training claim when it is free, expired or already the owner's; true when taken.</summary>
    internal static bool ClaimTraining(SqliteConnection connection, string owner, long now, long expires)
    {
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.ClaimTraining;
        command.Parameters.AddWithValue("$owner", owner);
        command.Parameters.AddWithValue("$expires_at", expires);
        command.Parameters.AddWithValue("$now", now);
        return command.ExecuteNonQuery() == 1;
    }
}
