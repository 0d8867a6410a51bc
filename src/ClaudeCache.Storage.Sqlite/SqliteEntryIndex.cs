using System.Text;
using ClaudeCache.Caching;
using ClaudeCache.Policy;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>The purge index's SQL (tables in <see cref="SqliteSchema"/>), run by <see cref="SqliteSecondTier"/>.</summary>
internal static class SqliteEntryIndex
{
    /// <summary>Entries looked at (and removed) per transaction: the write lock is released between batches.</summary>
    internal const int BatchSize = 500;

    /// <summary>Writes the entry and its index rows in one transaction; runs under the write lock.</summary>
    internal static int Upsert(PooledConnection pooled, string key, byte[] payload, long freshUntil, long keepUntil, long now, EntryMetadata metadata)
    {
        var connection = pooled.Connection;
        using var transaction = connection.BeginTransaction();
        var upsert = pooled.UpsertCommand;
        var forget = pooled.ForgetTombstoneCommand;
        upsert.Transaction = transaction;
        forget.Transaction = transaction;
        try
        {
            // Replacing the payload fires the trigger that drops the previous entry's index rows.
            SqliteOperations.Upsert(pooled, key, payload, freshUntil, keepUntil, now);
        }
        finally
        {
            upsert.Transaction = null;
            forget.Transaction = null;
        }

        using (var index = connection.CreateCommand())
        {
            index.Transaction = transaction;
            index.CommandText = SqliteSchema.IndexEntry;
            index.Parameters.AddWithValue("$key", key);
            index.Parameters.AddWithValue("$tenant", metadata.Tenant);
            index.Parameters.AddWithValue("$namespace", metadata.Namespace);
            index.Parameters.AddWithValue("$model", metadata.Model);
            index.Parameters.AddWithValue("$strategy", StrategyNames.ToHeader(metadata.Strategy));
            index.Parameters.AddWithValue("$context", metadata.Context);
            index.Parameters.AddWithValue("$created_at", metadata.CreatedAt.ToUnixTimeMilliseconds());
            index.ExecuteNonQuery();
        }

        if (metadata.Tags.Count > 0)
        {
            using var tag = connection.CreateCommand();
            tag.Transaction = transaction;
            tag.CommandText = SqliteSchema.TagEntry;
            var value = tag.Parameters.Add("$tag", SqliteType.Text);
            tag.Parameters.AddWithValue("$key", key);
            foreach (var name in metadata.Tags)
            {
                value.Value = name;
                tag.ExecuteNonQuery();
            }
        }

        transaction.Commit();
        return 1;
    }

    /// <summary>
    /// The next batch of matching keys after <paramref name="after"/> (in key order), read in
    /// <paramref name="transaction"/> when one is given.
    /// </summary>
    internal static List<string> Find(SqliteConnection connection, PurgeFilter filter, string after, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var sql = new StringBuilder();
        if (filter.Tag is { } tag)
        {
            // The (tag, key) primary key is the narrowest start: one range of one tag's rows.
            sql.Append("SELECT i.key FROM entry_tags t JOIN entry_index i ON i.key = t.key WHERE t.tag = $tag AND t.key > $after");
            command.Parameters.AddWithValue("$tag", tag);
        }
        else
        {
            sql.Append("SELECT i.key FROM entry_index i WHERE i.key > $after");
        }

        command.Parameters.AddWithValue("$after", after);
        Where(sql, command, "tenant", filter.Tenant);
        Where(sql, command, "namespace", filter.Namespace);
        Where(sql, command, "model", filter.Model);
        Where(sql, command, "context", filter.Context);
        Where(sql, command, "strategy", filter.Strategy is { } strategy ? StrategyNames.ToHeader(strategy) : null);
        if (filter.CreatedBefore is { } before)
        {
            sql.Append(" AND i.created_at < $before");
            command.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
        }

        sql.Append(" ORDER BY i.key LIMIT ").Append(BatchSize);
        command.CommandText = sql.ToString();
        var keys = new List<string>(BatchSize);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    /// <summary>
    /// Removes the next batch of matching entries in one transaction (their index rows go with them, by trigger);
    /// returns their keys. Runs under the write lock.
    /// </summary>
    internal static List<string> RemoveBatch(PooledConnection pooled, PurgeFilter filter, string after)
    {
        using var transaction = pooled.Connection.BeginTransaction();
        var keys = Find(pooled.Connection, filter, after, transaction);
        var remove = pooled.RemoveCommand;
        remove.Transaction = transaction;
        try
        {
            foreach (var key in keys)
            {
                SqliteOperations.Remove(pooled, key);
            }
        }
        finally
        {
            remove.Transaction = null;
        }

        transaction.Commit();
        return keys;
    }

    private static void Where(StringBuilder sql, SqliteCommand command, string column, string? value)
    {
        if (value is null)
        {
            return;
        }

        sql.Append(" AND i.").Append(column).Append(" = $").Append(column);
        command.Parameters.AddWithValue("$" + column, value);
    }
}
