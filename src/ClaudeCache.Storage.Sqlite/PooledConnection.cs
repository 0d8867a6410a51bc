using Microsoft.Data.Sqlite;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>
/// An open connection with its hot statements prepared once. Reusing a prepared statement skips SQL parsing and
/// planning, which is most of the cost of a point lookup. Used by one caller at a time (see <see cref="SqliteConnectionPool"/>).
/// </summary>
internal sealed class PooledConnection : IDisposable
{
    private SqliteCommand? _get;
    private SqliteCommand? _upsert;
    private SqliteCommand? _remove;
    private SqliteCommand? _touch;
    private SqliteCommand? _forget;

    internal PooledConnection(SqliteConnection connection, int generation)
    {
        Connection = connection;
        Generation = generation;
    }

    internal SqliteConnection Connection { get; }

    /// <summary>The pool generation it was opened in; a connection of an older one is closed when returned.</summary>
    internal int Generation { get; }

    internal SqliteCommand GetCommand => _get ??= Prepare(SqliteSchema.Get, "$key");

    internal SqliteCommand UpsertCommand => _upsert ??= Prepare(SqliteSchema.Upsert, "$key", "$size", "$now", "$expires_at", "$payload", "$fresh_until");

    internal SqliteCommand ForgetTombstoneCommand => _forget ??= Prepare(SqliteSchema.ForgetTombstone, "$key");

    internal SqliteCommand RemoveCommand => _remove ??= Prepare(SqliteSchema.Remove, "$key");

    internal SqliteCommand TouchCommand => _touch ??= Prepare(SqliteSchema.Touch, "$key", "$now");

    public void Dispose()
    {
        _get?.Dispose();
        _upsert?.Dispose();
        _remove?.Dispose();
        _touch?.Dispose();
        _forget?.Dispose();
        Connection.Dispose();
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }
}
