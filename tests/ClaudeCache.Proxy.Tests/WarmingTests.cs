using System.Text.Json.Nodes;
using ClaudeCache.Proxy.Cli;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Proxy.Warming;
using ClaudeCache.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Tests;

public sealed class WarmingTests
{
    /// <summary>The key <see cref="ProxyHost.Client"/> sends: warming under it fills the same tenant's partition.</summary>
    private const string ApiKey = "sk-ant-test-key-1";

    private static readonly string[] Contexts = ["explanation", "property_analysis", "lead_qualification"];

    private static string Prompt(int i) => $"Analyse listing {i}: 3 bed, 2 bath, listed at ${400 + i},000";

    private static string Context(int i) => Contexts[i % Contexts.Length];

    /// <summary>A profile file of <paramref name="count"/> distinct requests, each with an x-cache-context.</summary>
    private static string WriteProfile(int count, string? interval = null)
    {
        var requests = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            requests.Add(new JsonObject
            {
                ["name"] = $"listing-{i}",
                ["headers"] = new JsonObject { ["x-cache-context"] = Context(i) },
                ["body"] = JsonNode.Parse(Requests.Body(Prompt(i))),
            });
        }

        var profile = new JsonObject { ["name"] = "listings", ["requests"] = requests };
        if (interval is not null)
        {
            profile["interval"] = interval;
        }

        return WriteFile(profile.ToJsonString());
    }

    private static string WriteFile(string text)
    {
        var path = Path.ChangeExtension(TempFiles.NewDatabasePath(), ".json");
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task<(int ExitCode, string Output, string Error)> WarmAsync(ProxyHost proxy, string profile, int? concurrency = null, string? apiKey = ApiKey)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var arguments = new WarmArguments { Profile = profile, Url = proxy.BaseAddress.ToString(), Concurrency = concurrency, ApiKey = apiKey };
        var exitCode = await WarmCommand.RunAsync(arguments, output, error, TestContext.Current.CancellationToken);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static async Task AssertAllHitsAsync(ProxyHost proxy, int count)
    {
        await proxy.SettleAsync();
        for (var i = 0; i < count; i++)
        {
            var (response, _) = await Requests.SendAsync(proxy.Client, Requests.Body(Prompt(i)), ("x-cache-context", Context(i)));
            response.EnsureSuccessStatusCode();
            Assert.Equal("HIT", response.Header("x-cache"));
        }
    }

    /// <summary>Polls (bounded) instead of sleeping a fixed time: the run is real HTTP, only its start is on the fake clock.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!condition())
        {
            Assert.False(timeout.IsCancellationRequested, "timed out waiting until " + what);
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    private static ScheduledWarming Scheduler(ProxyHost proxy) => proxy.Services.GetServices<IHostedService>().OfType<ScheduledWarming>().Single();

    [Fact]
    public async Task Warm_MakesEveryRequestOfTheProfileAHit_AndTheUpstreamSawEachOnce()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var profile = WriteProfile(5);

        var (exitCode, output, error) = await WarmAsync(proxy, profile);

        Assert.Equal(0, exitCode);
        Assert.Equal("", error);
        Assert.Matches(@"Warmed \(MISS\)\W+5\b", output);
        Assert.Matches(@"Failed\W+0\b", output);
        Assert.Equal(5, proxy.Upstream.MessagesCalls);
        Assert.Equal(5, proxy.Upstream.Received.Select(r => r.BodyText).Distinct().Count());
        Assert.All(proxy.Upstream.Received, r => Assert.Equal(ApiKey, r.Header("x-api-key")));
        Assert.All(proxy.Upstream.Received, r => Assert.Equal("2023-06-01", r.Header("anthropic-version")));
        Assert.DoesNotContain(ApiKey, output, StringComparison.Ordinal);

        await AssertAllHitsAsync(proxy, 5);
        Assert.Equal(5, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task Warm_ASecondRun_ReportsEverythingAlreadyCached()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var profile = WriteProfile(4);
        Assert.Equal(0, (await WarmAsync(proxy, profile)).ExitCode);
        await proxy.SettleAsync();

        var (exitCode, output, _) = await WarmAsync(proxy, profile);

        Assert.Equal(0, exitCode);
        Assert.Matches(@"Already cached \(HIT\)\W+4\b", output);
        Assert.Matches(@"Warmed \(MISS\)\W+0\b", output);
        Assert.Equal(4, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task Warm_NeverHasMoreRequestsInFlightThanTheConcurrencyLimit()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var inFlight = 0;
        var done = 0;
        var max = 0;
        proxy.Upstream.BeforeRespond = async (_, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref max)) && Interlocked.CompareExchange(ref max, now, seen) != seen)
            {
            }

            try
            {
                // Held until as many requests are in flight as the limit lets through (fewer only at the end), so they
                // overlap whatever the scheduling: a limit that let fewer through would never release them.
                using var noHang = CancellationTokenSource.CreateLinkedTokenSource(ct);
                noHang.CancelAfter(TimeSpan.FromSeconds(30));
                while (Volatile.Read(ref inFlight) < Math.Min(3, 12 - Volatile.Read(ref done)))
                {
                    await Task.Delay(1, noHang.Token);
                }
            }
            finally
            {
                Interlocked.Increment(ref done);
                Interlocked.Decrement(ref inFlight);
            }
        };

        var (exitCode, output, _) = await WarmAsync(proxy, WriteProfile(12), concurrency: 3);

        Assert.Equal(0, exitCode);
        Assert.Equal(12, proxy.Upstream.MessagesCalls);
        Assert.Equal(3, max);
        Assert.Matches(@"Concurrency\W+3\b", output);
    }

    [Fact]
    public async Task Warm_FailedRequests_AreReportedOnce_AndTheExitCodeIs1()
    {
        await using var proxy = await ProxyHost.StartAsync();
        proxy.Upstream.Responder = request => request.BodyText.Contains("listing 1:", StringComparison.Ordinal)
            ? FakeReply.ErrorReply(400, "invalid_request_error", "prompt is too long")
            : DefaultResponder.Reply(request);

        var (exitCode, output, _) = await WarmAsync(proxy, WriteProfile(3));

        Assert.Equal(1, exitCode);
        Assert.Matches(@"Failed\W+1\b", output);
        Assert.Contains("listing-1", output, StringComparison.Ordinal);
        Assert.Contains("prompt is too long", output, StringComparison.Ordinal);
        Assert.Equal(3, proxy.Upstream.MessagesCalls); // not retried
    }

    [Fact]
    public async Task Warm_MalformedProfile_IsAClearError_WithExitCode2()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var profile = WriteFile("""{ "name": "broken", "requests": [ { "body": { "model": "claude-sonnet-4-5", "messages": [] } } ] }""");

        var (exitCode, output, error) = await WarmAsync(proxy, profile);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains(profile, error, StringComparison.Ordinal);
        Assert.Contains("requests[0]", error, StringComparison.Ordinal);
        Assert.Equal(0, proxy.Upstream.TotalCalls);
    }

    [Fact]
    public async Task Warm_WithoutAnApiKey_OrWithoutAProxy_IsExitCode2()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var profile = WriteProfile(1);

        var (noKey, _, keyError) = await WarmAsync(proxy, profile, apiKey: null);
        using var error = new StringWriter();
        var noProxy = await WarmCommand.RunAsync(new WarmArguments { Profile = profile, Url = "http://127.0.0.1:1", ApiKey = ApiKey }, TextWriter.Null, error, TestContext.Current.CancellationToken);

        Assert.Equal(2, noKey);
        Assert.Contains("API key", keyError, StringComparison.Ordinal);
        Assert.Equal(2, noProxy);
        Assert.Contains("cannot reach the proxy", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, proxy.Upstream.TotalCalls);
    }

    [Fact]
    public async Task ScheduledProfile_RunsAfterStart_ThenEveryInterval_OnTheProxysClock()
    {
        var settings = new Dictionary<string, string?>
        {
            ["ClaudeCache:Warming:StartDelay"] = "00:00:05",
            ["ClaudeCache:Warming:ApiKey"] = ApiKey,
            ["ClaudeCache:Warming:Profiles:0:File"] = WriteProfile(6),
            ["ClaudeCache:Warming:Profiles:0:Interval"] = "01:00:00",
        };
        await using var proxy = await ProxyHost.StartAsync(settings: settings);
        var scheduler = Scheduler(proxy);
        Assert.Equal(0, proxy.Upstream.MessagesCalls); // nothing before the start delay

        proxy.Clock.Advance(TimeSpan.FromSeconds(5));
        await WaitUntilAsync(() => scheduler.Completed.Count == 1, "the first run ended");

        Assert.Equal(6, proxy.Upstream.MessagesCalls);
        Assert.Equal(6, scheduler.Completed[0].Warmed);
        Assert.All(proxy.Upstream.Received, r => Assert.Equal(ApiKey, r.Header("x-api-key")));
        await AssertAllHitsAsync(proxy, 6); // the real traffic's key finds the warmed entries

        proxy.Clock.Advance(TimeSpan.FromHours(1));
        await WaitUntilAsync(() => scheduler.Completed.Count == 2, "the second run ended");

        Assert.Equal(6, scheduler.Completed[1].AlreadyCached);
        Assert.Equal(6, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task ScheduledProfile_ReWarmsEntriesThatExpiredSinceTheLastRun()
    {
        var settings = new Dictionary<string, string?>
        {
            ["ClaudeCache:Warming:StartDelay"] = "00:00:01",
            ["ClaudeCache:Warming:Profiles:0:File"] = WriteProfile(3, interval: "30m"),
            ["ClaudeCache:Warming:Profiles:0:ApiKey"] = ApiKey,
            ["ClaudeCache:Strategies:Contexts:explanation"] = "RealTime",
            ["ClaudeCache:Strategies:Contexts:property_analysis"] = "RealTime",
            ["ClaudeCache:Strategies:Contexts:lead_qualification"] = "RealTime",
        };
        await using var proxy = await ProxyHost.StartAsync(settings: settings);
        var scheduler = Scheduler(proxy);

        proxy.Clock.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => scheduler.Completed.Count == 1, "the first run ended");
        await proxy.SettleAsync();
        proxy.Clock.Advance(TimeSpan.FromMinutes(30)); // past the real-time strategy's 15 minutes
        await WaitUntilAsync(() => scheduler.Completed.Count == 2, "the second run ended");

        Assert.Equal(6, proxy.Upstream.MessagesCalls);
        Assert.Equal(3, scheduler.Completed[1].Warmed);
    }

    [Fact]
    public async Task ScheduledProfile_Malformed_StopsTheProxyAtStart_NamingTheKey()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync(TestContext.Current.CancellationToken);
        var settings = new Dictionary<string, string?>
        {
            ["ClaudeCache:Warming:ApiKey"] = ApiKey,
            ["ClaudeCache:Warming:Profiles:0:File"] = WriteFile("{ \"name\": \"x\" }"),
        };

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => ProxyHost.StartAsync(upstream, settings: settings));

        Assert.Contains(ex.Failures, f => f.Contains("ClaudeCache:Warming:Profiles:0:File", StringComparison.Ordinal) && f.Contains("\"requests\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8787", "http://127.0.0.1:8787/")]
    [InlineData("http://[::]:8787", "http://127.0.0.1:8787/")]
    [InlineData("http://0.0.0.0:9000", "http://127.0.0.1:9000/")]
    [InlineData("http://localhost:8787", "http://localhost:8787/")]
    [InlineData("http://[::1]:8787", "http://[::1]:8787/")]
    public void Loopback_TurnsAWildcardListenAddressIntoOneToConnectTo(string listen, string expected)
    {
        Assert.Equal(new Uri(expected), ScheduledWarming.Loopback(listen));
    }
}
