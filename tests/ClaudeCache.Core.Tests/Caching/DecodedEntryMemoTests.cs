using System.Security.Cryptography;
using System.Text;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Telemetry;
using ClaudeCache.Tests.Entries;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Tests.Caching;

public sealed class DecodedEntryMemoTests
{
    private static readonly CacheKey Key = new(SHA256.HashData("memo"u8));

    private static CachedResponse Entry(string text, DateTimeOffset now) => SampleResponses.JsonEntry() with
    {
        CreatedAt = now,
        ExpiresAt = now.AddMinutes(10),
        Body = Encoding.UTF8.GetBytes("{\"text\":\"" + text + "\"}"),
    };

    [Fact]
    public async Task RepeatedHit_IsServedFromTheMemo()
    {
        var time = new FakeTimeProvider(SampleResponses.CreatedAt);
        await using var cache = new ResponseCache(new ResponseCacheOptions(), null, time, new ClaudeCacheMetrics());
        cache.Set(Key, Entry("a", time.GetUtcNow()));

        var first = await cache.GetAsync(Key, CancellationToken.None);
        var second = await cache.GetAsync(Key, CancellationToken.None);
        Assert.NotNull(first);
        Assert.Same(first, second);
    }

    [Fact]
    public async Task ReplacedEntry_IsNotServedFromTheMemo()
    {
        var time = new FakeTimeProvider(SampleResponses.CreatedAt);
        await using var cache = new ResponseCache(new ResponseCacheOptions(), null, time, new ClaudeCacheMetrics());
        cache.Set(Key, Entry("a", time.GetUtcNow()));
        Assert.Equal("{\"text\":\"a\"}", Encoding.UTF8.GetString((await cache.GetAsync(Key, CancellationToken.None))!.Body.Span));

        cache.Set(Key, Entry("b", time.GetUtcNow()));
        Assert.Equal("{\"text\":\"b\"}", Encoding.UTF8.GetString((await cache.GetAsync(Key, CancellationToken.None))!.Body.Span));
    }

    [Fact]
    public async Task RemovedOrEvictedOrExpiredEntry_IsNotServedFromTheMemo()
    {
        var time = new FakeTimeProvider(SampleResponses.CreatedAt);
        await using var cache = new ResponseCache(new ResponseCacheOptions(), null, time, new ClaudeCacheMetrics());
        cache.Set(Key, Entry("a", time.GetUtcNow()));
        Assert.NotNull(await cache.GetAsync(Key, CancellationToken.None));
        await cache.RemoveAsync(Key, CancellationToken.None);
        Assert.Null(await cache.GetAsync(Key, CancellationToken.None));

        cache.Set(Key, Entry("a", time.GetUtcNow()));
        Assert.NotNull(await cache.GetAsync(Key, CancellationToken.None));
        cache.EvictLocal(Key.ToHex());
        Assert.Null(await cache.GetAsync(Key, CancellationToken.None));

        cache.Set(Key, Entry("a", time.GetUtcNow()));
        Assert.NotNull(await cache.GetAsync(Key, CancellationToken.None));
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Null(await cache.GetAsync(Key, CancellationToken.None));
    }

    [Fact]
    public void Memo_StaysWithinItsByteBudget()
    {
        var memo = new DecodedEntryMemo(64 * 1024);
        var entry = Entry(new string('x', 4000), SampleResponses.CreatedAt);
        for (var i = 0; i < 1000; i++)
        {
            memo.Add(i * 7919, new byte[1000], entry);
            Assert.InRange(memo.Bytes, 0, 64 * 1024);
        }

        Assert.True(memo.Bytes > 0);
        var tooLarge = Entry(new string('x', 10_000), SampleResponses.CreatedAt);
        var payload = new byte[10];
        memo.Add(1, payload, tooLarge);
        Assert.Null(memo.Get(1, payload));
    }

    [Fact]
    public async Task MemoOff_StillServesHits()
    {
        var time = new FakeTimeProvider(SampleResponses.CreatedAt);
        await using var cache = new ResponseCache(new ResponseCacheOptions { DecodedMemoMaxBytes = 0 }, null, time, new ClaudeCacheMetrics());
        cache.Set(Key, Entry("a", time.GetUtcNow()));
        var first = await cache.GetAsync(Key, CancellationToken.None);
        var second = await cache.GetAsync(Key, CancellationToken.None);
        Assert.NotNull(first);
        Assert.NotSame(first, second);
    }
}
