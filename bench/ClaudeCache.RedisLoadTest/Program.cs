using System.Globalization;
using System.Text;
using ClaudeCache.RedisLoadTest;
using ClaudeCache.Testing;
using ClaudeCache.Testing.Redis;

// Redis load runs on loopback; everything but redis-server runs in this process (fake upstream, proxy instances,
// load generator), sharing the machine's cores. See docs/redis-benchmarks.md.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var options = RedisLoadOptions.Parse(args);
Console.WriteLine($"# ClaudeCache Redis load test — {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
    $"lookups {options.Lookups}, requests {options.Requests}, concurrency {options.Concurrency}, rounds {options.Rounds}");

// :: 3. (Run first: quick, and on a server of its own.) A lookup over a stalled and over a killed Redis.
{
    var stalledLookups = Math.Min(options.Lookups, 100);
    Console.WriteLine($"Dead Redis: {stalledLookups} lookups stalled, {options.Lookups} killed...");
    var dead = await DeadRedisLatency.RunAsync(options.Lookups, stalledLookups);
    var section = new StringBuilder();
    section.AppendLine("\n### Lookup over a dead Redis: ResponseCache.GetAsync, memory cleared first, production options (50 ms operation timeout)\n");
    section.AppendLine("| Redis | lookups | p50 µs | p99 µs | max µs | not a miss | store errors |");
    section.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
    foreach (var (name, sample, errors) in new[] { ("stalled (CLIENT PAUSE, connection open)", dead.Stalled, dead.StalledStoreErrors), ("killed (SIGKILL)", dead.Killed, dead.KilledStoreErrors) })
    {
        section.AppendLine($"| {name} | {sample.Completed} | {sample.P50Us:F1} | {sample.P99Us:F1} | {Stats.PercentileMs(sample.Latencies, 1.0) * 1000:F1} | {sample.Unexpected} | {errors} |");
    }

    Console.WriteLine(section);
    if (options.DeadOnly)
    {
        return 0;
    }
}

await using var redis = await RedisServer.StartAsync();
var serverInfo = await redis.SendAsync("INFO", "server");
Console.WriteLine($"redis-server {(serverInfo is null ? "?" : Version(serverInfo))} on {redis.EndPoint}");
var report = new StringBuilder();

// :: 1. Cold-memory hit latency, Redis vs SQLite, one lookup at a time.
await using (var tiers = await TierLatency.CreateAsync(redis.EndPoint))
{
    Console.WriteLine("Tier latency: warming up...");
    // Enough calls per case for tiered JIT to settle on optimised code before anything is measured.
    await tiers.RunRoundAsync(0, Math.Max(options.Lookups / 2, 1_000));
    var rounds = new List<Dictionary<TierLatency.Case, Sample>>();
    for (var round = 0; round < options.Rounds; round++)
    {
        rounds.Add(await tiers.RunRoundAsync(round + 1, options.Lookups));
        Console.WriteLine($"  round {round + 1}: " + string.Join(" | ", TierLatency.Cases.Select(c =>
            $"{c.Store[..Math.Min(6, c.Store.Length)]}/{c.Shape} p50 {rounds[^1][c].P50Us:F1} p99 {rounds[^1][c].P99Us:F1} µs")));
    }

    double P50(TierLatency.Case c) => Stats.Median(rounds.Select(r => r[c].P50Us));
    double P99(TierLatency.Case c) => Stats.Median(rounds.Select(r => r[c].P99Us));

    report.AppendLine($"\n### Hit with a cold memory tier: ResponseCache.GetAsync, one at a time ({options.Lookups} lookups per case, median of {options.Rounds} rounds)\n");
    report.AppendLine("| store | entry | p50 µs | p99 µs | misses |");
    report.AppendLine("|---|---|---:|---:|---:|");
    foreach (var c in TierLatency.Cases)
    {
        report.AppendLine($"| {c.Store} | {c.Shape} | {P50(c):F1} | {P99(c):F1} | {rounds.Sum(r => r[c].Unexpected)} |");
    }

    report.AppendLine();
    foreach (var shape in new[] { "Json", "Stream" })
    {
        var sqlite = TierLatency.Cases.First(c => c.Store == "SQLite" && c.Shape == shape);
        var redisCase = TierLatency.Cases.First(c => c.Store == "Redis" && c.Shape == shape);
        var perRound = rounds.Select(r => r[redisCase].P50Us / r[sqlite].P50Us).ToArray();
        report.AppendLine($"- {shape}: Redis / SQLite p50 **{Stats.Median(perRound):F1}×** (per round {string.Join(", ", perRound.Select(x => x.ToString("F1")))}); " +
            $"p99 {P99(redisCase) / P99(sqlite):F1}×; Redis p50 < 1 ms: {(P50(redisCase) < 1000 ? "met" : "**missed**")}");
    }
}

Console.WriteLine(report);

// :: 2. Hit throughput through one and two proxy instances sharing one Redis.
await using var upstream = await FakeAnthropicUpstream.StartAsync();
upstream.Responder = request => DefaultResponder.Reply(request) with { Latency = TimeSpan.Zero, EventInterval = TimeSpan.Zero };
var directory = Directory.CreateTempSubdirectory("claudecache-redisload-").FullName;
var prefix = "load" + Guid.NewGuid().ToString("N")[..8] + ":";
var a = await Instance.StartAsync("A", upstream, redis.EndPoint, prefix, directory);
var b = await Instance.StartAsync("B", upstream, redis.EndPoint, prefix, directory);
var c0 = await Instance.StartAsync("C", upstream, redis.EndPoint, prefix, directory, memoryMaxBytes: 0);
var d0 = await Instance.StartAsync("D", upstream, redis.EndPoint, prefix, directory, memoryMaxBytes: 0);
var s = await Instance.StartAsync("S", upstream, redisEndPoint: null, prefix, directory);
Instance[] all = [a, b, c0, d0, s];
try
{
    var bodies = Enumerable.Range(0, 16).Select(i => new RealEstateWorkload(seed: 1_000 + i).PropertyAnalysis().BodyBytes).ToArray();
    using var client = HitLoad.CreateClient(options.Concurrency);
    var load = new HitLoad(client, bodies, options.MaxRunTime);

    // Prime: each prompt misses once on A (stored in memory and, in the background, in Redis) and once on S (SQLite);
    // then every instance is asked until it answers HIT (B, C and D read A's entry from Redis).
    Console.WriteLine($"Priming {bodies.Length} prompts...");
    foreach (var body in bodies)
    {
        await load.SendOnceAsync(a.Address, body);
        await load.SendOnceAsync(s.Address, body);
    }

    await a.Cache.FlushAsync();
    await s.Cache.FlushAsync();
    foreach (var instance in all)
    {
        foreach (var body in bodies)
        {
            var attempts = 0;
            while (await load.SendOnceAsync(instance.Address, body) != "HIT")
            {
                if (++attempts > 100)
                {
                    throw new InvalidOperationException($"Instance {instance.Name} never answered with a hit.");
                }

                await Task.Delay(20);
            }
        }
    }

    var upstreamCalls = upstream.MessagesCalls;
    (string Name, Instance[] Targets)[] configurations =
    [
        ("Redis store, 1 instance, warm memory tier", [a]),
        ("Redis store, 2 instances, warm memory tier", [a, b]),
        ("Redis store, 1 instance, memory tier 0 B (every hit read from Redis)", [c0]),
        ("Redis store, 2 instances, memory tier 0 B (every hit read from Redis)", [c0, d0]),
        ("SQLite store, 1 instance, warm memory tier (reference)", [s]),
    ];

    Console.WriteLine("Throughput: warming up...");
    foreach (var (_, targets) in configurations)
    {
        await load.RunAsync([.. targets.Select(t => t.Address)], Math.Min(options.Requests, 1_000), options.Concurrency);
    }

    var results = configurations.ToDictionary(c => c.Name, _ => new List<Sample>());
    for (var round = 0; round < options.Rounds; round++)
    {
        // Rotate the order so that no configuration always runs first (or last) in a round.
        foreach (var (name, targets) in configurations.Skip(round % configurations.Length).Concat(configurations.Take(round % configurations.Length)))
        {
            results[name].Add(await load.RunAsync([.. targets.Select(t => t.Address)], options.Requests, options.Concurrency));
        }

        Console.WriteLine($"  round {round + 1}: " + string.Join(" | ", configurations.Select(c =>
            $"{results[c.Name][^1].Throughput:F0} req/s p50 {results[c.Name][^1].P50Ms:F2} p99 {results[c.Name][^1].P99Ms:F2}" +
            (results[c.Name][^1].Failures + results[c.Name][^1].Unexpected > 0 ? $" ({results[c.Name][^1].Failures} failed, {results[c.Name][^1].Unexpected} not HIT)" : ""))));
    }

    report.AppendLine($"\n### Hit throughput ({options.Concurrency} workers spread over the instances, {options.Requests} requests per run, {bodies.Length} warm prompts, median of {options.Rounds} rounds)\n");
    report.AppendLine("| configuration | req/s | p50 ms | p99 ms | failures | not HIT |");
    report.AppendLine("|---|---:|---:|---:|---:|---:|");
    foreach (var (name, _) in configurations)
    {
        var runs = results[name];
        report.AppendLine($"| {name} | {Stats.Median(runs.Select(r => r.Throughput)):F0} | {Stats.Median(runs.Select(r => r.P50Ms)):F3} | " +
            $"{Stats.Median(runs.Select(r => r.P99Ms)):F3} | {runs.Sum(r => r.Failures)} | {runs.Sum(r => r.Unexpected)} |");
    }

    report.AppendLine();
    foreach (var (two, one, what) in new[] { (1, 0, "warm memory tier"), (3, 2, "every hit from Redis") })
    {
        var perRound = results[configurations[two].Name].Zip(results[configurations[one].Name], (x, y) => x.Throughput / y.Throughput).ToArray();
        report.AppendLine($"- two instances / one instance, {what}: **{Stats.Median(perRound):F2}×** (per round {string.Join(", ", perRound.Select(x => x.ToString("F2")))})");
    }

    var redisServed = results[configurations[2].Name].Zip(results[configurations[0].Name], (x, y) => x.Throughput / y.Throughput).ToArray();
    report.AppendLine($"- one instance, every hit from Redis / warm memory tier: {Stats.Median(redisServed):F2}×");
    report.AppendLine($"- memory-tier entries on the 0 B instances after the runs: {c0.Cache.Memory.Count + d0.Cache.Memory.Count} " +
        $"(on the warm ones: {a.Cache.Memory.Count} and {b.Cache.Memory.Count})");
    report.AppendLine($"- upstream calls during the measured runs: {upstream.MessagesCalls - upstreamCalls} (priming made {upstreamCalls})");
}
finally
{
    foreach (var instance in all)
    {
        await instance.DisposeAsync();
    }

    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    try
    {
        Directory.Delete(directory, recursive: true);
    }
    catch (IOException)
    {
        // A temp folder left behind is harmless.
    }
}

Console.WriteLine(report);
return 0;

static string Version(string info) =>
    info.Split('\n').FirstOrDefault(l => l.StartsWith("redis_version:", StringComparison.Ordinal))?["redis_version:".Length..].Trim() ?? "?";
