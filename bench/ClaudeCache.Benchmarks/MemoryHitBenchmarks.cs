using BenchmarkDotNet.Attributes;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Caching.Memory;

namespace ClaudeCache.Benchmarks;

/// <summary>
/// Step 5–6 on a warm memory tier: <see cref="ResponseCache.GetAsync"/> (lookup + checksum + zstd decode), against a
/// raw <see cref="MemoryCache"/> lookup of the same stored bytes as the baseline.
/// </summary>
[MemoryDiagnoser]
public class MemoryHitBenchmarks
{
    private ResponseCache _cache = null!;
    private ResponseCache _noMemo = null!;
    private MemoryCache _raw = null!;
    private CacheKey _key;
    private string _hex = "";

    [Params(EntryShape.Json, EntryShape.Stream)]
    public EntryShape Entry { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var entry = SampleEntries.Create(Entry);
        _key = new CacheKey(System.Security.Cryptography.SHA256.HashData("bench"u8));
        _hex = _key.ToHex();
        _cache = new ResponseCache(new ResponseCacheOptions(), secondTier: null, TimeProvider.System, new ClaudeCacheMetrics());
        _cache.Set(_key, entry);
        _noMemo = new ResponseCache(new ResponseCacheOptions { DecodedMemoMaxBytes = 0 }, secondTier: null, TimeProvider.System, new ClaudeCacheMetrics());
        _noMemo.Set(_key, entry);

        _raw = new MemoryCache(new MemoryCacheOptions());
        _raw.Set(_hex, EntryCodec.Encode(entry));
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _cache.DisposeAsync();
        await _noMemo.DisposeAsync();
        _raw.Dispose();
    }

    [Benchmark(Baseline = true, Description = "MemoryCache.TryGetValue (raw bytes)")]
    public byte[]? RawMemoryCache() => _raw.TryGetValue(_hex, out byte[]? bytes) ? bytes : null;

    [Benchmark(Description = "MemoryTier.Get (no decode)")]
    public byte[]? MemoryTierOnly() => _cache.Memory.Get(_hex, DateTimeOffset.UtcNow);

    [Benchmark(Description = "ResponseCache.GetAsync (memory hit, decoded memo)")]
    public ValueTask<CachedResponse?> ResponseCacheHit() => _cache.GetAsync(_key, CancellationToken.None);

    [Benchmark(Description = "ResponseCache.GetAsync (memory hit + decode, memo off)")]
    public ValueTask<CachedResponse?> ResponseCacheHitDecode() => _noMemo.GetAsync(_key, CancellationToken.None);
}
