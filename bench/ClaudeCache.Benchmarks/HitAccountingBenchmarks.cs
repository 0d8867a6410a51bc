using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Policy;
using ClaudeCache.Telemetry;
using ClaudeCache.Testing;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace ClaudeCache.Benchmarks;

/// <summary>
/// What a hit costs after its bytes are written: the cost accounting (<see cref="LedgerRecorder.RecordHit(ClaudeCache.Caching.PreparedRequest, ClaudeCache.Entries.CachedResponse, TimeSpan, string)"/> =
/// pricing + <see cref="SavingsLedger.Record"/> + <see cref="ClaudeCacheMetrics.Record"/>), step by step, with an
/// OpenTelemetry MeterProvider listening as in the proxy (or nobody listening).
/// </summary>
[MemoryDiagnoser]
public class HitAccountingBenchmarks
{
    private MeterProvider? _provider;
    private ClaudeCacheMetrics _metrics = null!;
    private SavingsLedger _ledger = null!;
    private LedgerRecorder _recorder = null!;
    private PreparedRequest _request = null!;
    private CachedResponse _entry = null!;
    private LedgerEntry _ledgerEntry;

    /// <summary>True: an OpenTelemetry MeterProvider aggregates the product meter (the proxy's set-up).</summary>
    [Params(true, false)]
    public bool OpenTelemetry { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (OpenTelemetry)
        {
            _provider = Sdk.CreateMeterProviderBuilder()
                .AddMeter(ClaudeCacheMetrics.MeterName)
                .AddReader(new PeriodicExportingMetricReader(new NullExporter(), exportIntervalMilliseconds: 3_600_000))
                .Build();
        }

        _metrics = new ClaudeCacheMetrics();
        _ledger = new SavingsLedger(new MemoryLedgerStore(), TimeProvider.System, TimeSpan.FromSeconds(2));
        _recorder = new LedgerRecorder(_ledger, new CostCalculator(PriceTable.LoadDefault()), _metrics, TimeProvider.System);
        var preparer = new RequestPreparer(new CachePolicyResolver(new StrategyOptions()), new TenantOptions());
        using var document = JsonDocument.Parse(new RealEstateWorkload(seed: 3).PropertyAnalysis().BodyBytes);
        _request = preparer.Prepare("/v1/messages", RequestEndpoint.Messages, document.RootElement,
            new RequestHeaders("sk-ant-bench", "", "2023-06-01", "", "", "", "", ""), out _)!;
        _entry = SampleEntries.Create(EntryShape.Json);
        _ledgerEntry = _recorder.RecordHit(_request, _entry, TimeSpan.FromMilliseconds(1));
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _ledger.DisposeAsync();
        _metrics.Dispose();
        _provider?.Dispose();
    }

    [Benchmark(Description = "LedgerRecorder.RecordHit (price + ledger + metrics)")]
    public LedgerEntry RecordHit() => _recorder.RecordHit(_request, _entry, TimeSpan.FromMilliseconds(1));

    [Benchmark(Description = "MessageJson.ReadUsage with inference_geo (one pass)")]
    public TokenUsage ReadUsage() => MessageJson.ReadUsage(_entry.Body.Span, out _);

    [Benchmark(Description = "ReadUsage + JsonDocument for inference_geo (before)")]
    public string? ReadUsageAndDocument()
    {
        MessageJson.ReadUsage(_entry.Body.Span);
        var reader = new Utf8JsonReader(_entry.Body.Span);
        using var document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.TryGetProperty("usage", out var usage) && usage.TryGetProperty("inference_geo", out var geo) ? geo.GetString() : null;
    }

    [Benchmark(Description = "SavingsLedger.Record")]
    public void LedgerRecord() => _ledger.Record(_ledgerEntry);

    [Benchmark(Description = "ClaudeCacheMetrics.Record")]
    public void MetricsRecord() => _metrics.Record(_ledgerEntry);

    private sealed class NullExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }
}
