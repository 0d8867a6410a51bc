using BenchmarkDotNet.Attributes;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Storage.Sqlite;
using ClaudeCache.Telemetry;

namespace ClaudeCache.Benchmarks;

/// <summary>
/// Step 5–6 with a cold memory tier: the answer comes from the SQLite file (WAL, pooled prepared statement) and is
/// decoded. The file holds 1,000 other entries so the lookup walks a realistic B-tree.
/// </summary>
[MemoryDiagnoser]
public class SqliteHitBenchmarks
{
    private string _directory = "";
    private ResponseCache _cache = null!;
    private SqliteSecondTier _tier = null!;
    private CacheKey _key;
    private string _hex = "";

    [Params(EntryShape.Json, EntryShape.Stream)]
    public EntryShape Entry { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "claudecache-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        var sqlite = new SqliteSecondTier(
            new SqliteStoreOptions { Path = Path.Combine(_directory, "bench.db"), CleanupInterval = Timeout.InfiniteTimeSpan },
            TimeProvider.System);
        _tier = sqlite;
        _cache = new ResponseCache(new ResponseCacheOptions(), sqlite, TimeProvider.System, new ClaudeCacheMetrics());

        var entry = SampleEntries.Create(Entry);
        var payload = EntryCodec.Encode(entry);
        for (var i = 0; i < 1_000; i++)
        {
            var other = new CacheKey(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));
            await sqlite.SetAsync(other.ToHex(), payload, entry.ExpiresAt, CancellationToken.None);
        }

        _key = new CacheKey(System.Security.Cryptography.SHA256.HashData("bench"u8));
        _hex = _key.ToHex();
        await sqlite.SetAsync(_hex, payload, entry.ExpiresAt, CancellationToken.None);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _cache.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Description = "SqliteSecondTier.GetAsync (bytes only)")]
    public ValueTask<byte[]?> SqliteGet() => _tier.GetAsync(_hex, CancellationToken.None);

    [Benchmark(Description = "SqliteSecondTier.GetAsync + TryDecode")]
    public async Task<CachedResponse?> SqliteGetAndDecode()
    {
        var payload = await _tier.GetAsync(_hex, CancellationToken.None);
        EntryCodec.TryDecode(payload, out var entry);
        return entry;
    }

    [Benchmark(Description = "ResponseCache.GetAsync, memory cleared first")]
    public ValueTask<CachedResponse?> ResponseCacheColdMemory()
    {
        _cache.Memory.Clear();
        return _cache.GetAsync(_key, CancellationToken.None);
    }
}
