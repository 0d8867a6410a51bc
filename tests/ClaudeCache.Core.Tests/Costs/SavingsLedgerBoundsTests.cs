using System.Diagnostics.Metrics;
using ClaudeCache.Costs;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Tests.Costs;

/// <summary>The ledger bounds what clients control before any store sees it, and what it holds while the store is down.</summary>
public sealed class SavingsLedgerBoundsTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));

    private LedgerEntry Entry(string context, string model = "claude-sonnet-4-5", string tenant = "t", DateTimeOffset? at = null) =>
        new(at ?? _clock.GetUtcNow(), model, "standard", context, tenant, LedgerOutcome.Hit, default, 0, 10, true, TimeSpan.FromMilliseconds(1));

    [Fact]
    public async Task DistinctValuesBeyondTheHourlyCap_AreFiledAsOther_AndCounted()
    {
        var store = new MemoryLedgerStore();
        using var metrics = new ClaudeCacheMetrics();
        await using var ledger = new SavingsLedger(store, _clock, Timeout.InfiniteTimeSpan, limits: new LedgerLimits { MaxDistinctValuesPerHour = 10 }, metrics: metrics);
        for (var i = 0; i < 25; i++)
        {
            ledger.Record(Entry($"ctx-{i}", model: $"model-{i}"));
        }

        var (rows, _) = await ledger.QueryAsync(_clock.GetUtcNow().AddHours(-1), _clock.GetUtcNow(), TestContext.Current.CancellationToken);

        Assert.Equal(10, rows.Select(r => r.Context).Distinct().Count(c => c != "other"));
        Assert.Equal(15, rows.Where(r => r.Context == "other").Sum(r => r.Requests));
        Assert.Equal(25, rows.Sum(r => r.Requests));
        Assert.Equal(15, Observe(metrics, "claudecache.ledger.folded", "dimension", "context"));
        Assert.Equal(15, Observe(metrics, "claudecache.ledger.folded", "dimension", "model"));

        // A new hour takes new values again.
        _clock.Advance(TimeSpan.FromHours(1));
        ledger.Record(Entry("ctx-new"));
        var (later, _) = await ledger.QueryAsync(_clock.GetUtcNow().AddMinutes(-1), _clock.GetUtcNow(), TestContext.Current.CancellationToken);
        Assert.Equal("ctx-new", Assert.Single(later).Context);
    }

    [Fact]
    public async Task LongValuesAreCut_AndControlCharactersReplaced()
    {
        var store = new MemoryLedgerStore();
        await using var ledger = new SavingsLedger(store, _clock, Timeout.InfiniteTimeSpan);
        ledger.Record(Entry(new string('c', 8192), model: "bad\u001fmodel", tenant: "x\ny"));

        var (rows, _) = await ledger.QueryAsync(_clock.GetUtcNow().AddMinutes(-1), _clock.GetUtcNow(), TestContext.Current.CancellationToken);

        var row = Assert.Single(rows);
        Assert.Equal(new string('c', 64), row.Context);
        Assert.Equal("bad_model", row.Model);
        Assert.Equal("x_y", row.Tenant);
    }

    [Fact]
    public async Task WhileTheStoreIsDown_PendingRowsAreCapped_OldestDropped_CountedAndLoggedOnce()
    {
        var store = new FailingStore();
        using var metrics = new ClaudeCacheMetrics();
        var logger = new ListLogger();
        await using var ledger = new SavingsLedger(store, _clock, Timeout.InfiniteTimeSpan, logger, new LedgerLimits { MaxPendingRows = 100 }, metrics);
        var start = _clock.GetUtcNow();
        for (var i = 0; i < 300; i++)
        {
            // One row (and one latency row) per minute: 300 minutes of traffic while the store is down.
            ledger.Record(Entry("ctx", at: start.AddMinutes(i)));
            if (i % 50 == 49)
            {
                await Assert.ThrowsAsync<InvalidOperationException>(() => ledger.FlushAsync(TestContext.Current.CancellationToken));
            }
        }

        Assert.Equal(200, ledger.PendingRows);
        Assert.Equal(200, Observe(metrics, "claudecache.ledger.dropped", "kind", "row"));
        Assert.Equal(200, Observe(metrics, "claudecache.ledger.dropped", "kind", "latency"));
        Assert.Equal(2, logger.Messages.Count(m => m.Contains("dropped", StringComparison.Ordinal)));

        // The store is back: what is kept is the newest 100 minutes.
        store.Failing = false;
        await ledger.FlushAsync(TestContext.Current.CancellationToken);
        Assert.Equal(100, store.Rows.Count);
        Assert.Equal(start.AddMinutes(200).ToUnixTimeSeconds() / 60, store.Rows.Min(r => r.Minute));
    }

    private static long Observe(ClaudeCacheMetrics metrics, string instrument, string tag, string value)
    {
        _ = metrics;
        long total = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == ClaudeCacheMetrics.MeterName && i.Name == instrument)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, measurement, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == tag && (string?)t.Value == value)
                {
                    total += measurement;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return total;
    }

    private sealed class FailingStore : ILedgerStore
    {
        public bool Failing { get; set; } = true;

        public List<LedgerRow> Rows { get; } = [];

        public Task AddAsync(IReadOnlyCollection<LedgerRow> rows, IReadOnlyCollection<LatencyRow> latencies, CancellationToken cancellationToken)
        {
            if (Failing)
            {
                throw new InvalidOperationException("the store is down");
            }

            Rows.AddRange(rows);
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<LedgerRow>> QueryAsync(long fromMinute, long toMinute, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<LedgerRow>>(Rows);

        public Task<IReadOnlyList<LatencyRow>> QueryLatencyAsync(long fromMinute, long toMinute, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<LatencyRow>>([]);

        public Task PruneAsync(long foldBeforeMinute, long deleteBeforeMinute, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class ListLogger : ILogger<SavingsLedger>
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add(formatter(state, exception));
            }
        }
    }
}
