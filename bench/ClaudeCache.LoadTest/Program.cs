using System.Globalization;
using System.Text;
using System.Text.Json;
using ClaudeCache.LoadTest;
using ClaudeCache.Testing;

// Whole-proxy load runs on loopback. Everything runs in this process: the fake upstream, the proxy and the bare
// Kestrel baseline share the machine's cores with the load generator, as they do in the tests.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var options = LoadOptions.Parse(args);
Console.WriteLine($"# ClaudeCache load test — {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
    $"requests {options.Requests}, concurrency {options.Concurrency}, rounds {options.Rounds}, " +
    $"latency requests {options.LatencyRequests} at concurrency {options.LatencyConcurrency}");

await using var servers = await Servers.StartAsync();
using var client = LoadRunner.CreateClient(Math.Max(options.Concurrency, options.LatencyConcurrency));
if (options.LargeMiss)
{
    // The added latency of a unique 180 KB miss (docs/benchmarks.md, "Hits at real request sizes").
    Console.WriteLine(await SizesRun.LargeMissAsync(servers, client, options.Rounds));
    return 0;
}

if (options.Sizes)
{
    // Hit throughput by request size, measured by wrk (docs/benchmarks.md, "Hits at real request sizes").
    Console.WriteLine(await SizesRun.RunAsync(servers, client, options.SizeSeconds, options.Rounds, options.Concurrency));
    return 0;
}

var runner = new LoadRunner(client, options.MaxRunTime);
var report = new StringBuilder();

// :: 1. Memory per 1,000 cached answers.
if (!options.HitsOnly)
{
    var footprints = await Footprint.MeasureAsync(servers.Upstream, client);
    report.AppendLine("\n### Memory tier: 1,000 cached answers\n");
    report.AppendLine("| workload | entries | raw response bytes | MemoryTier.Bytes | managed heap growth | after hitting each twice | target |");
    report.AppendLine("|---|---:|---:|---:|---:|---:|---|");
    foreach (var f in footprints)
    {
        report.AppendLine($"| {f.Workload} | {f.Entries} | {Mb(f.RawBytes)} | {Mb(f.TierBytes)} | {Mb(f.HeapBytes)} | {Mb(f.HeapAfterHitsBytes)} | < 5 MB: {Pass(f.HeapBytes < 5_000_000 && f.HeapAfterHitsBytes < 5_000_000 && f.TierBytes < 5_000_000)} |");
    }

    Console.WriteLine(report);
}

// :: 2. Hit throughput: proxy (warm entry) vs bare Kestrel answering the same bytes.
var hitBody = new RealEstateWorkload(seed: 3).PropertyAnalysis().BodyBytes;
var hitBytes = await FirstHitAsync(servers.ProxyAddress);
await FirstHitAsync(servers.ProxyNoCostsAddress);

servers.SetBareBody(hitBytes);
Console.WriteLine($"Hit body: {hitBytes.Length} bytes (request {hitBody.Length} bytes). Warming up...");
// Warm up for a while, not for a count: the proxy has far more code than the bare endpoint for tiered JIT to
// recompile, and on this machine its hits kept getting faster for ~10 s.
var warmup = Math.Min(options.Requests, 1_000);
var warmupEnds = DateTime.UtcNow + TimeSpan.FromSeconds(options.WarmupSeconds);
do
{
    await runner.RunAsync(servers.BareAddress, _ => hitBody, warmup, options.Concurrency, timeToFirstByte: false);
    await runner.RunAsync(servers.ProxyAddress, _ => hitBody, warmup, options.Concurrency, timeToFirstByte: false, expectCache: "HIT");
    await runner.RunAsync(servers.ProxyNoCostsAddress, _ => hitBody, warmup, options.Concurrency, timeToFirstByte: false, expectCache: "HIT");
}
while (DateTime.UtcNow < warmupEnds);

var hits = await AlternateAsync("hit",
    () => runner.RunAsync(servers.BareAddress, _ => hitBody, options.Requests, options.Concurrency, timeToFirstByte: false),
    () => runner.RunAsync(servers.ProxyAddress, _ => hitBody, options.Requests, options.Concurrency, timeToFirstByte: false, expectCache: "HIT"));

// :: 3. Cost accounting's share of a hit: the same proxy with ClaudeCache:Costs:Enabled false vs true.
var accounting = await AlternateAsync("accounting off/on",
    () => runner.RunAsync(servers.ProxyNoCostsAddress, _ => hitBody, options.Requests, options.Concurrency, timeToFirstByte: false, expectCache: "HIT"),
    () => runner.RunAsync(servers.ProxyAddress, _ => hitBody, options.Requests, options.Concurrency, timeToFirstByte: false, expectCache: "HIT"));

report.AppendLine($"\n### Hit throughput ({options.Concurrency} workers, {options.Requests} requests per run, median of {options.Rounds} rounds)\n");
report.AppendLine("| target | req/s | CPU µs/req | p50 ms | p99 ms | failures | not HIT |");
report.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
Row("bare Kestrel, same bytes", hits.Baseline);
Row("proxy hit (SQLite store, warm entry)", hits.Proxy);
var throughputRatio = Median(hits.Proxy.Select(r => r.Throughput)) / Median(hits.Baseline.Select(r => r.Throughput));
report.AppendLine($"\nThroughput ratio proxy / bare: **{throughputRatio:F2}** (target ≥ 0.6: {Pass(throughputRatio >= 0.6)}); " +
    $"per round: {string.Join(", ", hits.Proxy.Zip(hits.Baseline, (p, b) => (p.Throughput / b.Throughput).ToString("F2")))}");
var cpuRatio = Median(hits.Baseline.Select(r => r.CpuMicrosPerRequest)) / Median(hits.Proxy.Select(r => r.CpuMicrosPerRequest));
report.AppendLine($"\nCPU per request, bare / proxy (the throughput ratio if the cores were ours alone): **{cpuRatio:F2}**");

report.AppendLine($"\n### Hit throughput, cost accounting off vs on (same shape)\n");
report.AppendLine("| target | req/s | CPU µs/req | p50 ms | p99 ms | failures | not HIT |");
report.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
Row("proxy hit, accounting off", accounting.Baseline);
Row("proxy hit, accounting on", accounting.Proxy);
var accountingRatio = Median(accounting.Proxy.Select(r => r.Throughput)) / Median(accounting.Baseline.Select(r => r.Throughput));
report.AppendLine($"\nThroughput ratio on / off: **{accountingRatio:F2}** (target ≥ 0.95: {Pass(accountingRatio >= 0.95)}); " +
    $"per round: {string.Join(", ", accounting.Proxy.Zip(accounting.Baseline, (p, b) => (p.Throughput / b.Throughput).ToString("F2")))}");
var accountingCpuRatio = Median(accounting.Baseline.Select(r => r.CpuMicrosPerRequest)) / Median(accounting.Proxy.Select(r => r.CpuMicrosPerRequest));
report.AppendLine($"\nCPU per request, off / on: **{accountingCpuRatio:F2}**");

// The accounting-off proxy's metrics must not see the other proxy's measurements (see Servers).
if ((await client.GetStringAsync(new Uri(servers.ProxyNoCostsAddress, "metrics"))).Contains("claudecache_requests", StringComparison.Ordinal))
{
    throw new InvalidOperationException("The accounting-off proxy aggregates the other proxy's metrics: the comparison would be skewed.");
}

if (options.HitsOnly)
{
    Console.WriteLine(report);
    return 0;
}

// :: 4. Miss: unique prompts through the proxy to the fake vs straight to the fake.
var prompts = Enumerable.Range(0, 64).Select(_ => 0).Select((_, i) => new RealEstateWorkload(seed: 100 + i).PropertyAnalysis().UserText).ToArray();
string system;
using (var doc = JsonDocument.Parse(new RealEstateWorkload(seed: 1).PropertyAnalysis().Body))
{
    system = doc.RootElement.GetProperty("system").GetString()!;
}

var unique = 0L;
byte[] UniqueBody(bool stream)
{
    var n = Interlocked.Increment(ref unique);
    return RealEstateWorkload.MessagesRequestBody(RealEstateWorkload.Model, $"{prompts[n % prompts.Length]} (ref {n})", stream, system, maxTokens: 2048);
}

async Task<RunResult> MissRunAsync(Uri target, bool stream)
{
    var result = await runner.RunAsync(target, _ => UniqueBody(stream), options.LatencyRequests, options.LatencyConcurrency,
        timeToFirstByte: stream, expectCache: target == servers.ProxyAddress ? "MISS" : null);
    // Second-tier writes of the misses finish before the next run starts, and the fake forgets what it recorded.
    await servers.Cache.FlushAsync();
    servers.Upstream.ResetCounters();
    return result;
}

Console.WriteLine("Miss sections: warming up...");
foreach (var stream in new[] { false, true })
{
    await runner.RunAsync(servers.Upstream.BaseAddress, _ => UniqueBody(stream), 100, options.LatencyConcurrency, stream);
    await runner.RunAsync(servers.ProxyAddress, _ => UniqueBody(stream), 100, options.LatencyConcurrency, stream);
    await servers.Cache.FlushAsync();
}

var misses = await AlternateAsync("miss",
    () => MissRunAsync(servers.Upstream.BaseAddress, stream: false),
    () => MissRunAsync(servers.ProxyAddress, stream: false));
var ttfb = await AlternateAsync("stream ttfb",
    () => MissRunAsync(servers.Upstream.BaseAddress, stream: true),
    () => MissRunAsync(servers.ProxyAddress, stream: true));

// :: 5. The miss tables.
report.AppendLine($"\n### Added latency on a miss ({options.LatencyConcurrency} worker(s), {options.LatencyRequests} unique prompts per run, median of {options.Rounds} rounds)\n");
AddedTable("full response", misses);
report.AppendLine($"\n### Added time to first byte on a streamed miss (same shape)\n");
AddedTable("first body byte", ttfb);

Console.WriteLine(report);
return 0;

async Task<(List<RunResult> Baseline, List<RunResult> Proxy)> AlternateAsync(string name, Func<Task<RunResult>> baseline, Func<Task<RunResult>> proxy)
{
    var baselines = new List<RunResult>();
    var proxies = new List<RunResult>();
    for (var round = 0; round < options.Rounds; round++)
    {
        // Alternate the order so that neither side always runs on a warmer (or noisier) machine.
        if (round % 2 == 0)
        {
            baselines.Add(await baseline());
            proxies.Add(await proxy());
        }
        else
        {
            proxies.Add(await proxy());
            baselines.Add(await baseline());
        }

        Console.WriteLine($"  {name} round {round + 1}: baseline {Describe(baselines[^1])} | proxy {Describe(proxies[^1])}");
    }

    return (baselines, proxies);
}

void Row(string name, List<RunResult> runs) =>
    report.AppendLine($"| {name} | {Median(runs.Select(r => r.Throughput)):F0} | {Median(runs.Select(r => r.CpuMicrosPerRequest)):F0} | {Median(runs.Select(r => r.P50Ms)):F3} | " +
        $"{Median(runs.Select(r => r.P99Ms)):F3} | {runs.Sum(r => r.Failures)} | {runs.Sum(r => r.Unexpected)} |");

void AddedTable(string measured, (List<RunResult> Baseline, List<RunResult> Proxy) runs)
{
    var p50Direct = Median(runs.Baseline.Select(r => r.P50Ms));
    var p50Proxy = Median(runs.Proxy.Select(r => r.P50Ms));
    var p99Direct = Median(runs.Baseline.Select(r => r.P99Ms));
    var p99Proxy = Median(runs.Proxy.Select(r => r.P99Ms));
    var addedP50 = Median(runs.Proxy.Zip(runs.Baseline, (p, b) => p.P50Ms - b.P50Ms));
    report.AppendLine($"| {measured} | p50 ms | p99 ms | failures | not MISS |");
    report.AppendLine("|---|---:|---:|---:|---:|");
    report.AppendLine($"| straight to the fake upstream | {p50Direct:F3} | {p99Direct:F3} | {runs.Baseline.Sum(r => r.Failures)} | |");
    report.AppendLine($"| through the proxy | {p50Proxy:F3} | {p99Proxy:F3} | {runs.Proxy.Sum(r => r.Failures)} | {runs.Proxy.Sum(r => r.Unexpected)} |");
    report.AppendLine($"| **added by the proxy** | **{p50Proxy - p50Direct:F3}** | {p99Proxy - p99Direct:F3} | | |");
    report.AppendLine($"\nAdded p50 (median of per-round differences): **{addedP50:F3} ms** (target ≤ 1 ms: {Pass(addedP50 <= 1.0)})");
}

static string Describe(RunResult r) =>
    $"{r.Completed} ok, {r.Throughput:F0} req/s, {r.CpuMicrosPerRequest:F0} µs CPU/req, p50 {r.P50Ms:F3} ms, p99 {r.P99Ms:F3} ms" +
    (r.Failures + r.Unexpected > 0 ? $", {r.Failures} failed, {r.Unexpected} unexpected" : "");

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? double.NaN
        : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
        : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}

static string Mb(long bytes) => $"{bytes / 1_000_000.0:F2} MB";

static string Pass(bool ok) => ok ? "met" : "**missed**";

// Sends the hit request until the proxy answers it from the cache (the first call stores it); returns the body.
async Task<byte[]> FirstHitAsync(Uri proxy)
{
    for (var attempt = 0; attempt < 100; attempt++)
    {
        var probe = await runner.RunAsync(proxy, _ => hitBody, 1, 1, timeToFirstByte: false, expectCache: "HIT");
        if (probe.Unexpected == 0 && probe.Failures == 0)
        {
            return await HitBodyAsync(client, proxy, hitBody);
        }

        await Task.Delay(20);
    }

    throw new InvalidOperationException($"The proxy at {proxy} never answered with a hit.");
}

static async Task<byte[]> HitBodyAsync(HttpClient client, Uri proxy, byte[] body)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(proxy, "v1/messages")) { Content = new ByteArrayContent(body) };
    request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
    request.Headers.Add("x-api-key", "sk-ant-load-test");
    request.Headers.Add("anthropic-version", "2023-06-01");
    using var response = await client.SendAsync(request);
    response.EnsureSuccessStatusCode();
    return await response.Content.ReadAsByteArrayAsync();
}
