using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Proxy.Admin;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ClaudeCache.Proxy.Demo;

/// <summary>
/// <c>claudecache demo</c>: starts the proxy in front of the built-in fake Anthropic API (which answers after a
/// realistic delay), sends a short real-estate workload in which requests repeat as real traffic does, and prints
/// what the cache did.
/// </summary>
internal static class DemoRunner
{
    public static async Task<int> RunAsync(int requests, double repeatRatio, TextWriter output, CancellationToken cancellationToken)
    {
        var upstream = await FakeAnthropicUpstream.StartAsync(cancellationToken).ConfigureAwait(false);
        await using var upstreamScope = upstream.ConfigureAwait(false);
        // Claude takes seconds; the demo's fake takes a little under one, so the run stays short.
        upstream.Responder = request => DefaultResponder.Reply(request) with { Latency = TimeSpan.FromMilliseconds(600), EventInterval = TimeSpan.FromMilliseconds(15) };

        var database = Path.Combine(Path.GetTempPath(), $"claudecache-demo-{Environment.ProcessId}.db");
        var app = ProxyApp.Create([], new Dictionary<string, string?>
        {
            ["ClaudeCache:Port"] = "0",
            ["ClaudeCache:Upstream"] = upstream.BaseAddress.ToString(),
            ["ClaudeCache:Storage:SqlitePath"] = database,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:ClaudeCache"] = "Warning",
        });
        await using (app.ConfigureAwait(false))
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            await output.WriteLineAsync($"ClaudeCache demo: proxy on {address}, fake Anthropic API on {upstream.BaseAddress} (answers in ~0.6 s)").ConfigureAwait(false);
            await output.WriteLineAsync($"Sending {requests} real-estate requests ({repeatRatio:P0} of them repeats)...").ConfigureAwait(false);
            await output.WriteLineAsync().ConfigureAwait(false);

            using var client = new HttpClient { BaseAddress = new Uri(address) };
            client.DefaultRequestHeaders.Add("x-api-key", "sk-ant-demo");
            client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
            var tally = new DemoTally();
            foreach (var item in RealEstateWorkload.Generate(requests, repeatRatio, seed: 2026))
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
                {
                    Content = new StringContent(item.Body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
                };
                request.Headers.Add("x-cache-context", item.ContextType);
                var started = Stopwatch.GetTimestamp();
                using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                var elapsed = Stopwatch.GetElapsedTime(started);
                var status = response.Headers.TryGetValues("x-cache", out var values) ? values.First() : "?";
                var strategy = response.Headers.TryGetValues("x-cache-strategy", out var s) ? s.First() : "?";
                var usage = item.IsStreaming ? ReadStreamUsage(body) : MessageJson.ReadUsage(body);
                tally.Add(status, usage, elapsed);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  {status,-7} {elapsed.TotalMilliseconds,7:0} ms  {strategy,-12} {item.ContextType,-19} {Shorten(item.UserText)}")).ConfigureAwait(false);
            }

            await output.WriteLineAsync().ConfigureAwait(false);
            await tally.PrintAsync(output, upstream.MessagesCalls).ConfigureAwait(false);
            await PrintSavingsAsync(app, output, cancellationToken).ConfigureAwait(false);
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var file in new[] { database, database + "-wal", database + "-shm" })
        {
            File.Delete(file);
        }

        return 0;
    }

    /// <summary>What the ledger says the run cost and saved, at the shipped prices, and how the entries compressed.</summary>
    private static async Task PrintSavingsAsync(WebApplication app, TextWriter output, CancellationToken cancellationToken)
    {
        var ledger = app.Services.GetRequiredService<SavingsLedger>();
        var cache = app.Services.GetRequiredService<ResponseCache>();
        var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        // The last request's ledger entry is written just after its response: give it a moment to land.
        await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        var report = await AdminEndpoints.BuildReportAsync(ledger, cache, now.AddHours(-1), now, null, 0m, cancellationToken).ConfigureAwait(false);
        var totals = report.Totals;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Cost              ${totals.CostUsd:0.0000} paid, ${totals.CostWithoutCacheUsd:0.0000} without the cache: ${totals.SavingsUsd:0.0000} saved ({totals.SavingsRatio:P0})")).ConfigureAwait(false);
        if (report.Cache?.CompressionRatio is { } ratio)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Stored entries    {report.Cache.MemoryEntries} in memory, {report.Cache.MemoryBytes / 1024.0:0.0} KiB, compressed {ratio:0.00}x")).ConfigureAwait(false);
        }
    }

    private static TokenUsage ReadStreamUsage(byte[] sse)
    {
        var accumulator = new StreamAccumulator();
        foreach (var e in SseEventParser.ParseAll(sse))
        {
            accumulator.Accept(e);
        }

        return accumulator.IsCompleteSuccess ? MessageJson.ReadUsage(accumulator.BuildMessageJson()) : default;
    }

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= 60 ? line : line[..57] + "...";
    }
}
