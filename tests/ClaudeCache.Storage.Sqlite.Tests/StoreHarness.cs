using ClaudeCache.Storage.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Tests.Storage.Sqlite;

/// <summary>
/// A temporary directory for real SQLite files, a fake clock, and the stores opened on them; everything is
/// disposed and the directory removed after the test.
/// </summary>
internal sealed class StoreHarness : IAsyncDisposable
{
    private readonly List<SqliteSecondTier> _stores = [];

    internal StoreHarness() => Directory = System.IO.Directory.CreateTempSubdirectory("claudecache-sqlite-").FullName;

    internal static DateTimeOffset Start { get; } = new(2025, 11, 3, 8, 0, 0, TimeSpan.Zero);

    internal string Directory { get; }

    internal string DatabasePath => Path.Combine(Directory, "cache.db");

    internal FakeTimeProvider Time { get; } = new(Start);

    internal DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>Opens a store on <see cref="DatabasePath"/>; the cleanup timer is off unless the test sets it.</summary>
    internal SqliteSecondTier Open(Action<SqliteStoreOptions>? configure = null)
    {
        var options = new SqliteStoreOptions { Path = DatabasePath, CleanupInterval = Timeout.InfiniteTimeSpan };
        configure?.Invoke(options);
        var store = new SqliteSecondTier(options, Time);
        _stores.Add(store);
        return store;
    }

    internal static byte[] Payload(int size, byte seed = 1)
    {
        var payload = new byte[size];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(seed + (i * 31));
        }

        return payload;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail the test.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
