using ClaudeCache.Caching;
using ClaudeCache.Storage.Sqlite;

namespace ClaudeCache.Tests.Storage.Sqlite;

public sealed class SqliteSecondTierCleanupTests : IAsyncLifetime
{
    private readonly StoreHarness _harness = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task Cleanup_RemovesExpiredRowsOnly()
    {
        var store = _harness.Open();
        await store.SetAsync("1min", StoreHarness.Payload(10), _harness.Now.AddMinutes(1), Token);
        await store.SetAsync("2min", StoreHarness.Payload(20), _harness.Now.AddMinutes(2), Token);
        await store.SetAsync("10min", StoreHarness.Payload(30), _harness.Now.AddMinutes(10), Token);
        _harness.Time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(new StoreStatistics(3, 60), await store.GetStatisticsAsync(Token)); // expired rows wait for cleanup
        Assert.Equal(2, await store.CleanupAsync(Token));

        Assert.Equal(new StoreStatistics(1, 30), await store.GetStatisticsAsync(Token));
        Assert.NotNull(await store.GetAsync("10min", Token));
    }

    [Fact]
    public async Task Cleanup_UnderTheCap_EvictsNothing()
    {
        var store = _harness.Open(o => o.MaxBytes = 1000);
        await store.SetAsync("a", StoreHarness.Payload(500), _harness.Now.AddHours(1), Token);
        await store.SetAsync("b", StoreHarness.Payload(500), _harness.Now.AddHours(1), Token);

        Assert.Equal(0, await store.CleanupAsync(Token));
        Assert.Equal(new StoreStatistics(2, 1000), await store.GetStatisticsAsync(Token));
    }

    [Fact]
    public async Task Cleanup_OverTheCap_EvictsLeastRecentlyAccessedFirst()
    {
        // Slack 10% above the cap keeps the write from starting a cleanup of its own: this test calls it.
        var store = _harness.Open(o => o.MaxBytes = 1000);
        foreach (var key in new[] { "a", "b", "c", "d" })
        {
            await store.SetAsync(key, StoreHarness.Payload(250), _harness.Now.AddDays(1), Token);
            _harness.Time.Advance(TimeSpan.FromMinutes(2));
        }

        Assert.NotNull(await store.GetAsync("a", Token)); // a is now the most recently used of a..d
        await store.SetAsync("e", StoreHarness.Payload(100), _harness.Now.AddDays(1), Token); // 1100 bytes

        Assert.Equal(1, await store.CleanupAsync(Token));

        Assert.Null(await store.GetAsync("b", Token));
        foreach (var key in new[] { "a", "c", "d", "e" })
        {
            Assert.NotNull(await store.GetAsync(key, Token));
        }

        Assert.Equal(new StoreStatistics(4, 850), await store.GetStatisticsAsync(Token));
    }

    [Fact]
    public async Task Cleanup_FarOverTheCap_EvictsInAccessOrderUntilUnderTheCap()
    {
        var store = _harness.Open(o => o.MaxBytes = 10_000);
        for (var i = 0; i < 10; i++)
        {
            await store.SetAsync($"k{i}", StoreHarness.Payload(1000), _harness.Now.AddDays(1), Token);
            _harness.Time.Advance(TimeSpan.FromMinutes(2));
        }

        // Read the five oldest again, newest first, so that k4 .. k0 become the most recently used.
        for (var i = 4; i >= 0; i--)
        {
            Assert.NotNull(await store.GetAsync($"k{i}", Token));
            _harness.Time.Advance(TimeSpan.FromMinutes(2));
        }

        // Shrink the cap by reopening with a smaller one: 3 entries fit.
        await store.DisposeAsync();
        var small = _harness.Open(o => o.MaxBytes = 3_500);

        Assert.Equal(7, await small.CleanupAsync(Token));
        var survivors = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            if (await small.GetAsync($"k{i}", Token) is not null)
            {
                survivors.Add($"k{i}");
            }
        }

        // Access times noted in memory were written on dispose, so the reads above count after reopening too.
        Assert.Equal(["k0", "k1", "k2"], survivors);
    }

    [Fact]
    public async Task Cleanup_ExpiresBeforeEvicting()
    {
        var store = _harness.Open(o => o.MaxBytes = 1000);
        await store.SetAsync("old-but-live", StoreHarness.Payload(600), _harness.Now.AddDays(1), Token);
        _harness.Time.Advance(TimeSpan.FromMinutes(2));
        await store.SetAsync("new-but-expiring", StoreHarness.Payload(500), _harness.Now.AddMinutes(1), Token);
        _harness.Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(1, await store.CleanupAsync(Token));

        Assert.NotNull(await store.GetAsync("old-but-live", Token));
    }

    [Fact]
    public async Task Timer_RunsCleanupEveryInterval()
    {
        var store = _harness.Open(o => o.CleanupInterval = TimeSpan.FromMinutes(1));
        await store.SetAsync("short", StoreHarness.Payload(10), _harness.Now.AddSeconds(30), Token);
        await store.SetAsync("long", StoreHarness.Payload(10), _harness.Now.AddMinutes(90), Token);

        _harness.Time.Advance(TimeSpan.FromMinutes(1));
        await store.BackgroundCleanup;
        Assert.Equal(new StoreStatistics(1, 10), await store.GetStatisticsAsync(Token));

        _harness.Time.Advance(TimeSpan.FromMinutes(90));
        await store.BackgroundCleanup;
        Assert.Equal(new StoreStatistics(0, 0), await store.GetStatisticsAsync(Token));
    }

    [Fact]
    public async Task Set_OvershootingTheCapByMoreThanATenth_StartsACleanup()
    {
        var store = _harness.Open(o => o.MaxBytes = 1000);
        for (var i = 0; i < 12; i++)
        {
            await store.SetAsync($"k{i}", StoreHarness.Payload(100), _harness.Now.AddDays(1), Token);
            _harness.Time.Advance(TimeSpan.FromMinutes(2));
        }

        await store.BackgroundCleanup;

        var statistics = await store.GetStatisticsAsync(Token);
        Assert.True(statistics.TotalBytes <= 1000, $"{statistics.TotalBytes} bytes stored");
        Assert.Null(await store.GetAsync("k0", Token));
        Assert.NotNull(await store.GetAsync("k11", Token));
    }

    [Fact]
    public async Task ManyReads_FlushAccessTimesInTheBackground()
    {
        var store = _harness.Open();
        for (var i = 0; i < 1100; i++)
        {
            await store.SetAsync($"k{i}", StoreHarness.Payload(8), _harness.Now.AddDays(1), Token);
        }

        _harness.Time.Advance(TimeSpan.FromMinutes(5));
        for (var i = 0; i < 1100; i++)
        {
            Assert.NotNull(await store.GetAsync($"k{i}", Token));
        }

        await store.BackgroundFlush;

        // The threshold batch was written; what came after it is still noted in memory.
        Assert.InRange(PendingAccessCount(store), 0, 1100 - 1024);
    }

    private static int PendingAccessCount(SqliteSecondTier store)
    {
        var field = typeof(SqliteSecondTier).GetField("_access", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        return ((AccessTracker)field.GetValue(store)!).Count;
    }
}
