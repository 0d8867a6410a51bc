using ClaudeCache.Costs;
using ClaudeCache.Policy;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Tests.Costs;

/// <summary>The estimator replays the request log as the cache serves: cold start, TTL expiry, refresh, bypass, errors.</summary>
public sealed class SavingsEstimatorTests
{
    private const long Minute = 60_000;

    private static RequestLogRow Row(long atMinutes, string key, string outcome = "miss", long cost = 100, long avoided = 0, long ttlMinutes = 10,
        bool lookup = true, bool store = true, string strategy = "standard") => new()
        {
            AtMs = atMinutes * Minute,
            Key = key,
            Outcome = outcome,
            CostNanos = cost,
            AvoidedNanos = avoided,
            TtlSeconds = ttlMinutes * 60,
            Lookup = lookup,
            Store = store,
            Strategy = strategy,
        };

    private static EstimateFigures Replay(EstimateScenario scenario, params RequestLogRow[] rows) => SavingsEstimator.Replay(rows, scenario);

    [Fact]
    public void FirstRequestMisses_ARepeatWithinTheTtlHits_AndOneAtOrAfterExpiryMissesAndRefreshes()
    {
        var figures = Replay(EstimateScenario.Current,
            Row(0, "a", cost: 100),
            Row(9, "a", "hit", cost: 0, avoided: 100), // inside 10 minutes: a hit saving the first call
            Row(10, "a", cost: 120),                    // exactly at expiry: expired (fresh means before it)
            Row(19, "a", "hit", cost: 0, avoided: 120)); // the refreshed entry, from minute 10

        Assert.Equal(2, figures.Hits);
        Assert.Equal(2, figures.Misses);
        Assert.Equal(220m / 1_000_000_000m, figures.CostUsd);
        Assert.Equal(220m / 1_000_000_000m, figures.SavingsUsd);
    }

    [Fact]
    public void AHitSaves_TheCostOfTheCallWhoseAnswerItServes()
    {
        // The second request was really a miss costing 70; replayed under a longer TTL it is served the first answer (100).
        var longer = new EstimateScenario("longer", new Dictionary<string, TimeSpan> { ["standard"] = TimeSpan.FromHours(1) });
        var figures = Replay(longer, Row(0, "a", cost: 100), Row(30, "a", cost: 70));

        Assert.Equal(1, figures.Hits);
        Assert.Equal(100m / 1_000_000_000m, figures.SavingsUsd);
        Assert.Equal(100m / 1_000_000_000m, figures.CostUsd);
    }

    [Fact]
    public void RefreshAndBypass_NeverHit_ARefreshReplacesTheEntry_ABypassStoresNothing()
    {
        var figures = Replay(EstimateScenario.Ceiling,
            Row(0, "a", cost: 100),
            Row(1, "a", "refresh", cost: 90, lookup: false),
            Row(2, "a", "hit", cost: 0, avoided: 90),
            Row(3, "b", "bypass", cost: 50, lookup: false, store: false, strategy: "no-cache"),
            Row(4, "b", "bypass", cost: 50, lookup: false, store: false, strategy: "no-cache"));

        Assert.Equal(1, figures.Hits);
        Assert.Equal(90m / 1_000_000_000m, figures.SavingsUsd);
        Assert.Equal(4, figures.Misses);
    }

    [Fact]
    public void AFailedCall_StoresNothing()
    {
        var figures = Replay(EstimateScenario.Ceiling, Row(0, "a", "error", cost: 0), Row(1, "a", cost: 100), Row(2, "a", "hit", cost: 0, avoided: 100));

        Assert.Equal(1, figures.Hits);
        Assert.Equal(2, figures.Misses);
    }

    [Fact]
    public void KeysAreReplayedApart_AndACandidateKeepsTheRecordedTtlOfAStrategyItDoesNotName()
    {
        var candidate = new EstimateScenario("candidate", new Dictionary<string, TimeSpan> { ["aggressive"] = TimeSpan.FromDays(1) });
        var figures = Replay(candidate,
            Row(0, "a", strategy: "aggressive", ttlMinutes: 5),
            Row(0, "b", ttlMinutes: 5),
            Row(20, "a", strategy: "aggressive", ttlMinutes: 5), // within the candidate's day
            Row(20, "b", ttlMinutes: 5));                        // standard keeps its 5 minutes: expired

        Assert.Equal(1, figures.Hits);
    }

    [Fact]
    public void TheReport_HasRealised_Current_Candidates_AndTheCeiling_WithFractionsOfTheCeiling()
    {
        RequestLogRow[] rows =
        [
            Row(0, "a", cost: 100), Row(5, "a", "hit", cost: 0, avoided: 100), Row(30, "a", cost: 100), Row(31, "b", cost: 40),
        ];
        var from = DateTimeOffset.UnixEpoch;
        var report = SavingsEstimator.Estimate(rows, from, from.AddHours(1), [EstimateScenario.FromStrategies("candidate", new StrategyOptions())]);

        Assert.Equal(["current", "candidate", "ceiling"], report.Scenarios.Select(s => s.Name));
        Assert.Equal(4, report.Requests);
        Assert.Equal(2, report.Keys);
        Assert.Equal(1, report.Realised.Hits);
        Assert.Equal(report.Realised.Hits, report.Scenarios[0].Hits);
        Assert.Equal(report.Realised.SavingsUsd, report.Scenarios[0].SavingsUsd);
        Assert.Equal(2, report.Scenarios[2].Hits);
        Assert.Equal(0.5, report.Realised.FractionOfCeiling);
        Assert.Equal(1.0, report.Scenarios[2].FractionOfCeiling);
        Assert.Equal(6 * 3600, report.Scenarios[1].TtlSeconds!["standard"]);
    }

    [Fact]
    public void NoTraffic_IsAnEmptyReport_WithNoFraction()
    {
        var report = SavingsEstimator.Estimate([], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, []);

        Assert.Equal(0, report.Requests);
        Assert.Null(report.Realised.FractionOfCeiling);
        Assert.Equal(0, report.Scenarios[^1].HitRatio);
    }

    [Fact]
    public async Task TheLedger_LogsEachRequestWithAKey_WithItsPolicyAndCost_AndPrunesByAgeAndCount()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var store = new MemoryLedgerStore();
        await using var ledger = new SavingsLedger(store, clock, Timeout.InfiniteTimeSpan, limits: new LedgerLimits { RequestLogRetention = TimeSpan.FromDays(1), RequestLogMaxRows = 1_000 });
        var facts = new RequestFacts("0123456789abcdef", TimeSpan.FromHours(6), Lookup: true, Store: true);
        ledger.Record(new LedgerEntry(clock.GetUtcNow(), "m", "standard", "ctx", "tenant", LedgerOutcome.Miss, default, 250, 0, true, TimeSpan.Zero) { Request = facts });
        ledger.Record(new LedgerEntry(clock.GetUtcNow(), "m", "standard", "ctx", "tenant", LedgerOutcome.Hit, default, 0, 250, true, TimeSpan.Zero) { Request = facts });
        ledger.Record(new LedgerEntry(clock.GetUtcNow(), "m", "standard", "ctx", "tenant", LedgerOutcome.Miss, default, 5, 0, true, TimeSpan.Zero)); // no key: not logged

        var rows = await ledger.QueryRequestsAsync(clock.GetUtcNow().AddMinutes(-1), clock.GetUtcNow(), TestContext.Current.CancellationToken);

        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(("0123456789abcdef", "tenant", "ctx", 6 * 3600L, true, true), (r.Key, r.Tenant, r.Context, r.TtlSeconds, r.Lookup, r.Store)));
        Assert.Equal((250, 0, false), (rows[0].CostNanos, rows[0].AvoidedNanos, rows[0].Hit));
        Assert.Equal((0, 250, true), (rows[1].CostNanos, rows[1].AvoidedNanos, rows[1].Hit));

        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await ledger.PruneAsync(TestContext.Current.CancellationToken);
        Assert.Empty(await store.QueryRequestsAsync(0, long.MaxValue, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WhileTheStoreIsDown_TheLogHoldsAtMostTenTimesLedgerMaxPendingRows_TheNewest()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var store = new FlakyStore();
        await using var ledger = new SavingsLedger(store, clock, Timeout.InfiniteTimeSpan, limits: new LedgerLimits { MaxPendingRows = 100 });
        for (var i = 0; i < 1050; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            ledger.Record(new LedgerEntry(clock.GetUtcNow(), "m", "standard", "", "t", LedgerOutcome.Miss, default, i, 0, true, TimeSpan.Zero)
            {
                Request = new RequestFacts($"{i:x16}", TimeSpan.FromHours(1), Lookup: true, Store: true),
            });
            if (i == 120)
            {
                await Assert.ThrowsAsync<IOException>(() => ledger.FlushAsync(TestContext.Current.CancellationToken));
            }
        }

        store.Down = false;
        var rows = await ledger.QueryRequestsAsync(DateTimeOffset.UnixEpoch, clock.GetUtcNow(), TestContext.Current.CancellationToken);

        // At 1,000 pending rows the oldest tenth went at once: rows 0-99.
        Assert.Equal(950, rows.Count);
        Assert.Equal(Enumerable.Range(100, 950).Select(i => (long)i), rows.Select(r => r.CostNanos));
    }

    [Fact]
    public async Task ARetentionOfZero_TurnsTheLogOff()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        await using var ledger = new SavingsLedger(new MemoryLedgerStore(), clock, Timeout.InfiniteTimeSpan, limits: new LedgerLimits { RequestLogRetention = TimeSpan.Zero });
        ledger.Record(new LedgerEntry(clock.GetUtcNow(), "m", "standard", "", "t", LedgerOutcome.Miss, default, 1, 0, true, TimeSpan.Zero)
        {
            Request = new RequestFacts("0123456789abcdef", TimeSpan.FromHours(1), Lookup: true, Store: true),
        });

        Assert.Empty(await ledger.QueryRequestsAsync(DateTimeOffset.UnixEpoch, clock.GetUtcNow(), TestContext.Current.CancellationToken));
        Assert.Empty(new LedgerLimits { RequestLogRetention = TimeSpan.Zero }.Validate("s"));
        Assert.Single(new LedgerLimits { RequestLogRetention = TimeSpan.FromMinutes(5) }.Validate("s"));
    }

    private sealed class FlakyStore : ILedgerStore
    {
        private readonly MemoryLedgerStore _inner = new();

        public bool Down { get; set; } = true;

        public Task AddAsync(IReadOnlyCollection<LedgerRow> rows, IReadOnlyCollection<LatencyRow> latencies, CancellationToken cancellationToken) =>
            _inner.AddAsync(rows, latencies, cancellationToken);

        public Task<IReadOnlyList<LedgerRow>> QueryAsync(long fromMinute, long toMinute, CancellationToken cancellationToken) => _inner.QueryAsync(fromMinute, toMinute, cancellationToken);

        public Task<IReadOnlyList<LatencyRow>> QueryLatencyAsync(long fromMinute, long toMinute, CancellationToken cancellationToken) =>
            _inner.QueryLatencyAsync(fromMinute, toMinute, cancellationToken);

        public Task PruneAsync(long foldBeforeMinute, long deleteBeforeMinute, CancellationToken cancellationToken) =>
            _inner.PruneAsync(foldBeforeMinute, deleteBeforeMinute, cancellationToken);

        public Task AddRequestsAsync(IReadOnlyCollection<RequestLogRow> rows, TimeSpan retention, CancellationToken cancellationToken) =>
            Down ? throw new IOException("down") : _inner.AddRequestsAsync(rows, retention, cancellationToken);

        public Task<IReadOnlyList<RequestLogRow>> QueryRequestsAsync(long fromMs, long toMs, CancellationToken cancellationToken) =>
            _inner.QueryRequestsAsync(fromMs, toMs, cancellationToken);
    }
}
