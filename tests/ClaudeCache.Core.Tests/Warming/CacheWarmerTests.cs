using ClaudeCache.Warming;

namespace ClaudeCache.Tests.Warming;

public sealed class CacheWarmerTests
{
    private static WarmingProfile Profile(int requests, int concurrency = 4) => new()
    {
        Name = "test",
        Concurrency = concurrency,
        Requests = [.. Enumerable.Range(1, requests).Select(i => new WarmingRequest($"r{i}", $$"""{"n":{{i}}}""", new Dictionary<string, string>()))],
    };

    private static WarmingResult Answer(WarmingRequest request, int status, string? cache) =>
        new(request, WarmingResult.Classify(status, cache), status, cache, TimeSpan.Zero);

    [Fact]
    public async Task WarmAsync_NeverHasMoreThanTheLimitInFlight()
    {
        const int Requests = 20;
        var inFlight = 0;
        var done = 0;
        var max = 0;
        var warmer = new CacheWarmer(async (request, ct) =>
        {
            InterlockedMax(ref max, Interlocked.Increment(ref inFlight));
            // Held until as many requests are in flight as the limit lets through (fewer only at the end), so they
            // overlap whatever the scheduling: a limit that let fewer through would never release them.
            using var noHang = CancellationTokenSource.CreateLinkedTokenSource(ct);
            noHang.CancelAfter(TimeSpan.FromSeconds(30));
            while (Volatile.Read(ref inFlight) < Math.Min(3, Requests - Volatile.Read(ref done)))
            {
                await Task.Delay(1, noHang.Token);
            }

            Interlocked.Increment(ref done);
            Interlocked.Decrement(ref inFlight);
            return Answer(request, 200, "MISS");
        });

        var summary = await warmer.WarmAsync(Profile(Requests, concurrency: 3), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(Requests, summary.Sent);
        Assert.Equal(Requests, summary.Warmed);
        Assert.Equal(3, max);
    }

    [Fact]
    public async Task WarmAsync_ConcurrencyArgument_OverridesTheProfile()
    {
        var inFlight = 0;
        var max = 0;
        var warmer = new CacheWarmer(async (request, ct) =>
        {
            InterlockedMax(ref max, Interlocked.Increment(ref inFlight));
            await Task.Delay(5, ct);
            Interlocked.Decrement(ref inFlight);
            return Answer(request, 200, "HIT");
        });

        var summary = await warmer.WarmAsync(Profile(6, concurrency: 4), concurrency: 1, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(1, max);
        Assert.Equal(1, summary.Concurrency);
        Assert.Equal(6, summary.AlreadyCached);
    }

    [Fact]
    public async Task WarmAsync_CountsEveryOutcome_AndKeepsTheProfilesOrder()
    {
        var warmer = new CacheWarmer((request, _) => Task.FromResult(request.Name switch
        {
            "r1" => Answer(request, 200, "HIT"),
            "r2" => Answer(request, 200, "MISS"),
            "r3" => Answer(request, 200, "REFRESH"),
            "r4" => Answer(request, 200, "BYPASS"),
            _ => Answer(request, 529, null),
        }));

        var summary = await warmer.WarmAsync(Profile(5), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal((5, 1, 2, 1, 1), (summary.Sent, summary.AlreadyCached, summary.Warmed, summary.NotCached, summary.Failed));
        Assert.Equal(["r1", "r2", "r3", "r4", "r5"], summary.Results.Select(r => r.Request.Name));
    }

    [Fact]
    public async Task WarmAsync_AFailingRequest_IsReportedOnce_NeverRetried()
    {
        var calls = 0;
        var warmer = new CacheWarmer((request, _) =>
        {
            Interlocked.Increment(ref calls);
            return request.Name == "r2" ? throw new HttpRequestException("connection refused") : Task.FromResult(Answer(request, 200, "MISS"));
        });

        var summary = await warmer.WarmAsync(Profile(3), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(3, calls);
        Assert.Equal(1, summary.Failed);
        var failed = Assert.Single(summary.Results, r => r.Outcome == WarmingOutcome.Failed);
        Assert.Equal("r2", failed.Request.Name);
        Assert.Equal("connection refused", failed.Error);
    }

    [Fact]
    public async Task WarmAsync_CallsProgress_OncePerRequest()
    {
        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        var warmer = new CacheWarmer((request, _) => Task.FromResult(Answer(request, 200, "MISS")));

        await warmer.WarmAsync(Profile(7), progress: r => seen.Add(r.Request.Name), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(Enumerable.Range(1, 7).Select(i => $"r{i}").Order(), seen.Order());
    }

    [Fact]
    public async Task WarmAsync_Cancelled_StopsStartingRequests_AndThrows()
    {
        using var cts = new CancellationTokenSource();
        var calls = 0;
        var warmer = new CacheWarmer(async (request, ct) =>
        {
            if (Interlocked.Increment(ref calls) == 2)
            {
                await cts.CancelAsync();
            }

            await Task.Delay(Timeout.Infinite, ct);
            return Answer(request, 200, "MISS");
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => warmer.WarmAsync(Profile(10, concurrency: 2), cancellationToken: cts.Token));

        Assert.Equal(2, calls);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(WarmingProfile.MaxConcurrency + 1)]
    public async Task WarmAsync_RejectsAConcurrencyOutOfRange(int concurrency)
    {
        var warmer = new CacheWarmer((request, _) => Task.FromResult(Answer(request, 200, "MISS")));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => warmer.WarmAsync(Profile(1), concurrency, cancellationToken: TestContext.Current.CancellationToken));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
