using ClaudeCache.Caching;

namespace ClaudeCache.Tests.Storage.Sqlite;

public sealed class SqliteSecondTierConcurrencyTests : IAsyncLifetime
{
    private readonly StoreHarness _harness = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task HundredParallelWritersAndReaders_EachSeeTheirOwnEntry()
    {
        var store = _harness.Open();
        await store.SetAsync("hot", StoreHarness.Payload(3000, seed: 200), _harness.Now.AddHours(1), Token);
        var expires = _harness.Now.AddHours(1);

        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(async () =>
        {
            var payload = StoreHarness.Payload(1000 + i, seed: (byte)i);
            await store.SetAsync($"k{i}", payload, expires, Token);
            Assert.Equal(payload, await store.GetAsync($"k{i}", Token));
            Assert.Equal(StoreHarness.Payload(3000, seed: 200), await store.GetAsync("hot", Token));
            if (i % 10 == 0)
            {
                await store.RemoveAsync($"k{i}", Token);
                Assert.Null(await store.GetAsync($"k{i}", Token));
            }
        }, Token)));

        var statistics = await store.GetStatisticsAsync(Token);
        Assert.Equal(91, statistics.EntryCount);
    }

    [Fact]
    public async Task ConcurrentFirstOperations_InitializeOnce()
    {
        var store = _harness.Open();

        await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(async () =>
            await store.SetAsync($"k{i}", new byte[] { (byte)i }, _harness.Now.AddHours(1), Token), Token)));

        Assert.Equal(new StoreStatistics(32, 32), await store.GetStatisticsAsync(Token));
    }

    [Fact]
    public async Task ReadsDuringCleanupAndWrites_DoNotFail()
    {
        var store = _harness.Open(o => o.MaxBytes = 50_000);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < 300; i++)
            {
                await store.SetAsync($"w{i % 120}", StoreHarness.Payload(1000, seed: (byte)i), _harness.Now.AddHours(1), Token);
                if (i % 50 == 0)
                {
                    await store.CleanupAsync(Token);
                }
            }
        }, Token);
        var readers = Enumerable.Range(0, 8).Select(r => Task.Run(async () =>
        {
            while (!writer.IsCompleted)
            {
                var payload = await store.GetAsync($"w{r * 7}", Token);
                Assert.True(payload is null || payload.Length == 1000);
            }
        }, Token));

        await Task.WhenAll([writer, .. readers]);
        await store.CleanupAsync(Token);
        Assert.True((await store.GetStatisticsAsync(Token)).TotalBytes <= 50_000);
    }
}
