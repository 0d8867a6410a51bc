using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using ClaudeCache.Testing;

namespace ClaudeCache.LoadTest;

/// <summary>
/// <c>--sizes</c>: hit throughput and p99 at three realistic request sizes (0.3 KB question, 36 KB conversation,
/// 184 KB agent turn), measured by <c>wrk</c> (a separate process: the load generator costs far less CPU than an
/// HttpClient in this process) against the proxy and against bare Kestrel reading the same body, in alternating
/// rounds of one run. Also reports the proxy process's bytes allocated per hit and its gen-2 collections (a large-object
/// allocation per hit would show as many).
/// </summary>
internal static partial class SizesRun
{
    private const int MissRequests = 200;

    public static async Task<string> RunAsync(Servers servers, HttpClient client, int seconds, int rounds, int connections)
    {
        var report = new StringBuilder();
        report.AppendLine($"\n### Hit throughput by request size (wrk -t1 -c{connections} -d{seconds}s, median of {rounds} rounds)\n");
        report.AppendLine("| request body | bare req/s | proxy req/s | ratio | bare p99 ms | proxy p99 ms | p99 target | proxy bytes allocated / hit | gen-2 GCs during proxy runs |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|---|---:|---:|");
        var directory = Directory.CreateTempSubdirectory("claudecache-sizes-").FullName;
        try
        {
            foreach (var (name, body) in new[] { ("question", SizedRequests.Question()), ("conversation", SizedRequests.Conversation()), ("agent turn", SizedRequests.AgentTurn()) })
            {
                var hit = await StoreAsync(client, servers.ProxyAddress, body);
                servers.SetBareBody(hit);
                var script = Path.Combine(directory, "post.lua");
                var bodyFile = Path.Combine(directory, "body.json");
                await File.WriteAllBytesAsync(bodyFile, body);
                await File.WriteAllTextAsync(script, Lua(bodyFile));

                // Warm-up: tiered JIT and Kestrel's pools, on both sides.
                await WrkAsync(servers.BareAddress, script, 3, connections);
                await WrkAsync(servers.ProxyAddress, script, 3, connections);

                var bare = new List<WrkResult>();
                var proxy = new List<WrkResult>();
                var allocated = new List<double>();
                var gen2 = 0;
                for (var round = 0; round < rounds; round++)
                {
                    if (round % 2 == 0)
                    {
                        bare.Add(await WrkAsync(servers.BareAddress, script, seconds, connections));
                    }

                    var before = GC.GetTotalAllocatedBytes(precise: true);
                    var gen2Before = GC.CollectionCount(2);
                    var run = await WrkAsync(servers.ProxyAddress, script, seconds, connections);
                    allocated.Add((GC.GetTotalAllocatedBytes(precise: true) - before) / (double)Math.Max(1, run.Requests));
                    gen2 += GC.CollectionCount(2) - gen2Before;
                    proxy.Add(run);
                    if (round % 2 == 1)
                    {
                        bare.Add(await WrkAsync(servers.BareAddress, script, seconds, connections));
                    }

                    Console.WriteLine($"  {name} ({body.Length / 1024.0:F1} KB) round {round + 1}: bare {bare[^1]} | proxy {proxy[^1]}");
                }

                var bareRps = Median(bare.Select(r => r.RequestsPerSecond));
                var proxyRps = Median(proxy.Select(r => r.RequestsPerSecond));
                var bareP99 = Median(bare.Select(r => r.P99Ms));
                var proxyP99 = Median(proxy.Select(r => r.P99Ms));
                var p99Limit = Math.Max(2.0, 1.5 * bareP99);
                report.AppendLine(CultureInfo.InvariantCulture, $"| {name}, {body.Length / 1024.0:F1} KB | {bareRps:F0} | {proxyRps:F0} | **{proxyRps / bareRps:F2}** | {bareP99:F2} | {proxyP99:F2} | ≤ {p99Limit:F2}: {(proxyP99 <= p99Limit ? "met" : "**missed**")} | {Median(allocated):F0} B | {gen2} |");
                if (proxy.Sum(r => r.Errors) + bare.Sum(r => r.Errors) > 0)
                {
                    report.AppendLine(CultureInfo.InvariantCulture, $"\n**{name}: {proxy.Sum(r => r.Errors)} proxy / {bare.Sum(r => r.Errors)} bare non-2xx or socket errors**\n");
                }
            }

            report.Append(await LargeMissAsync(servers, client, runs: 1));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        return report.ToString();
    }

    /// <summary>
    /// A miss at the largest size: the fingerprint is taken while the body is read, so the full path adds parsing,
    /// keying and planning. Sequential, each request unique, rotating between straight to the fake upstream, through
    /// a bare relay (read the body, send it on with HttpClient, copy the answer back: the floor of any proxy) and
    /// through the proxy, and through the same proxy with step 1's memo off (what the fingerprint and the memo add to a
    /// miss). One warm-up run first (not counted: the first requests run unoptimised code), then
    /// <paramref name="runs"/> runs of 200 each; the median of the runs' added p50.
    /// </summary>
    public static async Task<string> LargeMissAsync(Servers servers, HttpClient client, int runs)
    {
        // The fake's prompt-cache simulator reads every body: off here, so every path measures the same fake.
        servers.Upstream.PromptCache.Enabled = false;
        var report = new StringBuilder();
        var template = Encoding.UTF8.GetString(SizedRequests.AgentTurn());
        var added = new List<double>();
        var relayAdded = new List<double>();
        var memoAdded = new List<double>();
        Uri[] targets = [servers.Upstream.BaseAddress, new Uri(servers.BareAddress, "relay/"), servers.ProxyAddress, servers.ProxyNoMemoAddress];
        for (var run = -1; run < runs; run++)
        {
            var times = targets.Select(_ => new List<double>()).ToArray();
            for (var i = 0; i < targets.Length * MissRequests; i++)
            {
                var unique = Encoding.UTF8.GetBytes(template.Replace("Build a full investment memo", $"Build memo {i} of {Guid.NewGuid():N}", StringComparison.Ordinal));
                var started = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(targets[i % targets.Length], "v1/messages")) { Content = new ByteArrayContent(unique) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Add("x-api-key", "sk-ant-load-test");
                request.Headers.Add("anthropic-version", "2023-06-01");
                using var response = await client.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{targets[i % targets.Length]} answered {(int)response.StatusCode}.");
                }

                times[i % targets.Length].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            if (run < 0)
            {
                continue;
            }

            var (direct, relay, proxied, noMemo) = (Median(times[0]), Median(times[1]), Median(times[2]), Median(times[3]));
            added.Add(proxied - direct);
            relayAdded.Add(relay - direct);
            memoAdded.Add(proxied - noMemo);
            report.AppendLine(CultureInfo.InvariantCulture, $"\nMiss of a 180 KB agent turn ({MissRequests} each, sequential): p50 straight to the fake upstream {direct:F3} ms, through a bare relay {relay:F3} ms, through the proxy {proxied:F3} ms, through the proxy without its memo {noMemo:F3} ms; added by the relay {relay - direct:F3} ms, by the proxy {added[^1]:F3} ms, by the memo {memoAdded[^1]:F3} ms");
        }

        var median = Median(added);
        var memo = Median(memoAdded);
        report.AppendLine(CultureInfo.InvariantCulture, $"\n**Added p50 of a 180 KB miss, median of {runs} run(s): by step 1's fingerprint and memo {memo:F3} ms** (target ≤ 1 ms: {(memo <= 1.0 ? "met" : "**missed**")}); by the whole proxy {median:F3} ms, by a bare relay {Median(relayAdded):F3} ms");
        return report.ToString();
    }

    private static string Lua(string bodyFile) => $$"""
        local f = io.open("{{bodyFile}}", "rb")
        wrk.body = f:read("*all")
        f:close()
        wrk.method = "POST"
        wrk.headers["content-type"] = "application/json"
        wrk.headers["x-api-key"] = "sk-ant-load-test"
        wrk.headers["anthropic-version"] = "2023-06-01"
        """;

    private static async Task<byte[]> StoreAsync(HttpClient client, Uri proxy, byte[] body)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(proxy, "v1/messages")) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add("x-api-key", "sk-ant-load-test");
            request.Headers.Add("anthropic-version", "2023-06-01");
            using var response = await client.SendAsync(request);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            if (response.IsSuccessStatusCode && response.Headers.TryGetValues("x-cache", out var status) && status.First() == "HIT")
            {
                return bytes;
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException("The proxy never answered the sized request with a hit.");
    }

    private static async Task<WrkResult> WrkAsync(Uri target, string script, int seconds, int connections)
    {
        var start = new ProcessStartInfo("wrk", ["-t1", $"-c{connections}", $"-d{seconds}s", "--latency", "-s", script, new Uri(target, "v1/messages").ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("wrk could not start (apt install wrk).");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var rps = double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var requests = long.Parse(Requests().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var p99 = P99().Match(output);
        var errors = Non2xx().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        errors += SocketErrors().Matches(output).Sum(e => long.Parse(e.Groups[1].Value, CultureInfo.InvariantCulture));
        return new WrkResult(rps, requests, ToMs(double.Parse(p99.Groups[1].Value, CultureInfo.InvariantCulture), p99.Groups[2].Value), errors);
    }

    private static double ToMs(double value, string unit) => unit switch { "us" => value / 1000, "ms" => value, "s" => value * 1000, _ => value };

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();

    [GeneratedRegex(@"99%\s+([\d.]+)(us|ms|s)")]
    private static partial Regex P99();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"(?:connect|read|write|timeout) (\d+)")]
    private static partial Regex SocketErrors();

    private sealed record WrkResult(double RequestsPerSecond, long Requests, double P99Ms, long Errors)
    {
        public override string ToString() => FormattableString.Invariant($"{RequestsPerSecond:F0} req/s, p99 {P99Ms:F2} ms") + (Errors > 0 ? FormattableString.Invariant($", {Errors} errors") : "");
    }
}
