using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// What prompt caching saves on traffic that never repeats exactly (issue 11): the mixed workload (chats on shared
/// long system prompts, agent loops, fan-out bursts over one document, repeats, one-offs) replayed against the fake
/// upstream's simulated prompt cache four ways, each from a cold cache, and priced in units of the input-token price
/// from the usage the fake reported. The table is printed; only what holds today is asserted.
/// </summary>
public sealed class PromptCacheWorkloadTests(ITestOutputHelper output)
{
    private const int Seed = 11;

    private static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task MixedWorkload_InputCostPerScenario_AutomaticCachingBeatsNone_AutoBreakpointsNever400()
    {
        var items = MixedPromptWorkload.Generate(Seed);

        var none = await DirectAsync(items, automatic: false);
        var automatic = await DirectAsync(items, automatic: true);
        var proxyDefault = await ThroughProxyAsync(items, autoBreakpoints: false);
        var proxyAuto = await ThroughProxyAsync(items, autoBreakpoints: true);

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"Mixed prompt workload, seed {Seed}: {items.Count} requests, {items.Max(i => i.Step) + 1} steps");
        table.AppendLine("| scenario | upstream calls | input | 5m writes | 1h writes | reads | input cost | vs none | marker 400s | other errors | seconds |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in (Run[])[none, automatic, proxyDefault, proxyAuto])
        {
            var t = run.Totals;
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {run.Name} | {t.Replies:N0} | {t.InputTokens:N0} | {t.CacheCreation5m:N0} | {t.CacheCreation1h:N0} | {t.CacheRead:N0} | "
                + $"{t.InputCost:N0} | {t.InputCost / none.Totals.InputCost:P1} | {run.MarkerErrors} | {run.OtherErrors} | {run.Seconds:F1} |");
        }

        output.WriteLine(table.ToString());

        Assert.Equal(0, none.Totals.CacheCreation5m + none.Totals.CacheCreation1h + none.Totals.CacheRead);
        Assert.All((Run[])[none, automatic, proxyDefault, proxyAuto], run => Assert.Equal(0, run.OtherErrors));
        Assert.Equal(0, automatic.MarkerErrors);
        Assert.Equal(0, proxyAuto.MarkerErrors);
        Assert.True(automatic.Totals.InputCost < none.Totals.InputCost, "automatic caching must cost less than none");
        Assert.Equal(items.Count - items.Count(i => i.Kind == "repeat"), proxyDefault.Totals.Replies);
        Assert.True(proxyDefault.Totals.InputCost < none.Totals.InputCost, "the response cache answers the exact repeats");
        Assert.True(proxyAuto.Totals.InputCost < none.Totals.InputCost, "automatic breakpoints must cost less than none");
        Assert.True(automatic.Totals.CacheRead > 0);
    }

    /// <summary>Straight to a fresh fake: bodies as generated, or with one top-level cache_control (automatic caching).</summary>
    private static async Task<Run> DirectAsync(IReadOnlyList<PromptWorkloadItem> items, bool automatic)
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync();
        var clock = new FakeTimeProvider(Start);
        fake.PromptCache.Clock = clock;
        using var client = new HttpClient { BaseAddress = fake.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-ant-test-key-1");
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        var run = await ReplayAsync(automatic ? "direct, automatic caching" : "direct, no cache_control", items, fake, client,
            body => automatic ? body[..^1] + ",\"cache_control\":{\"type\":\"ephemeral\"}}" : body, [],
            at => clock.AdjustTime(Start + at), () => Task.CompletedTask);
        return run with { Totals = fake.UsageTotals };
    }

    /// <summary>Through a real proxy (default settings) on a fresh fake, optionally asking for automatic breakpoints.</summary>
    private static async Task<Run> ThroughProxyAsync(IReadOnlyList<PromptWorkloadItem> items, bool autoBreakpoints)
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync();
        var clock = new FakeTimeProvider(Start);
        fake.PromptCache.Clock = clock;
        await using var proxy = await ProxyHost.StartAsync(fake, clock: new FakeTimeProvider(Start));
        (string, string)[] headers = autoBreakpoints ? [("x-cache-prompt-breakpoints", "auto")] : [];
        var run = await ReplayAsync(autoBreakpoints ? "proxy, breakpoints: auto" : "proxy, default settings", items, fake, proxy.Client, body => body, headers,
            at =>
            {
                clock.AdjustTime(Start + at);
                proxy.Clock.AdjustTime(Start + at);
            },
            proxy.SettleAsync);
        return run with { Totals = fake.UsageTotals };
    }

    /// <summary>Sends the items step by step (a step's items together), at each step's time on the clocks.</summary>
    private static async Task<Run> ReplayAsync(
        string name,
        IReadOnlyList<PromptWorkloadItem> items,
        FakeAnthropicUpstream fake,
        HttpClient client,
        Func<string, string> rewrite,
        (string Name, string Value)[] headers,
        Action<TimeSpan> setTime,
        Func<Task> settle)
    {
        var watch = Stopwatch.StartNew();
        int markerErrors = 0, otherErrors = 0;
        foreach (var step in items.GroupBy(i => i.Step).OrderBy(g => g.Key))
        {
            setTime(step.First().At);
            HoldUntilAllArrive(fake, step.Count());
            var results = await Task.WhenAll(step.Select(async item =>
            {
                using var request = Requests.Post(rewrite(item.Body), "v1/messages", headers);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(item.IsStreaming ? "text/event-stream" : "application/json"));
                using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
                string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                return (response.StatusCode, text);
            }));
            foreach (var (status, text) in results)
            {
                if (status == HttpStatusCode.BadRequest && text.Contains("cache_control", StringComparison.Ordinal))
                {
                    markerErrors++;
                }
                else if (status != HttpStatusCode.OK)
                {
                    otherErrors++;
                }
            }

            // Answers are stored in the background: a repeat must find its original stored, however fast it comes.
            await settle();
        }

        return new Run(name, new FakeUsageTotals(0, 0, 0, 0, 0, 0), markerErrors, otherErrors, watch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// A burst's requests are answered only once all of them reached the fake, so all of them look the prompt cache
    /// up cold, as concurrent requests do, whatever the scheduling of this machine: the numbers are the same every run.
    /// </summary>
    private static void HoldUntilAllArrive(FakeAnthropicUpstream fake, int count)
    {
        if (count == 1)
        {
            fake.BeforeRespond = null;
            return;
        }

        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int arrived = 0;
        fake.BeforeRespond = (_, ct) =>
        {
            if (Interlocked.Increment(ref arrived) == count)
            {
                all.TrySetResult();
            }

            return all.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        };
    }

    private sealed record Run(string Name, FakeUsageTotals Totals, int MarkerErrors, int OtherErrors, double Seconds);
}
