using System.Runtime.CompilerServices;
using ClaudeCache.Caching;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>The purge index: two tables beside <c>entries</c>, written in the entry's transaction (decision 0012).</summary>
public sealed partial class SqliteSecondTier : IEntryIndex
{
    /// <summary>Stores an entry with its <paramref name="metadata"/>, fresh and kept until <paramref name="expiresAt"/>.</summary>
    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, EntryMetadata metadata, CancellationToken cancellationToken) =>
        SetAsync(key, payload, expiresAt, expiresAt, metadata, cancellationToken);

    /// <inheritdoc />
    public async ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, DateTimeOffset keepUntil, EntryMetadata metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(metadata);
        var blob = SqliteOperations.AsArray(payload);
        var fresh = expiresAt.ToUnixTimeMilliseconds();
        var keep = Math.Max(fresh, keepUntil.ToUnixTimeMilliseconds());
        await WriteAsync(connection => SqliteEntryIndex.Upsert(connection, key, blob, fresh, keep, Now(), metadata), cancellationToken).ConfigureAwait(false);
        NoteWritten(blob.Length);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Each batch is one transaction of at most <see cref="SqliteEntryIndex.BatchSize"/> entries under the write lock,
    /// released between batches, so queued entry writes interleave with a long purge; reads never wait (WAL).
    /// </remarks>
    public async IAsyncEnumerable<IReadOnlyList<string>> PurgeAsync(PurgeFilter filter, bool dryRun, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var after = "";
        while (true)
        {
            var cursor = after;
            var batch = dryRun
                ? Use(connection => SqliteEntryIndex.Find(connection.Connection, filter, cursor))
                : await WriteAsync(connection => SqliteEntryIndex.RemoveBatch(connection, filter, cursor), cancellationToken).ConfigureAwait(false);
            if (batch.Count > 0)
            {
                yield return batch;
                after = batch[^1];
            }

            if (batch.Count < SqliteEntryIndex.BatchSize)
            {
                yield break;
            }
        }
    }
}
