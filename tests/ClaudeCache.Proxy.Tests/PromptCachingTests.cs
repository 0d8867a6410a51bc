using System.Net;
using System.Text.Json.Nodes;
using ClaudeCache.PromptCaching;
using ClaudeCache.Proxy.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Proxy.Tests;

// It reads /metrics: no other proxy's meter (the same name, in this process) may report into its scrape meanwhile.
[Collection(nameof(MetricsTests))]
public sealed class PromptCachingTests
{
    private const string Header = "x-cache-prompt-breakpoints";

    private static readonly Dictionary<string, string?> Off = new() { ["ClaudeCache:PromptCaching:AutoBreakpoints"] = "false" };

    // A system prompt well over Sonnet's 1,024-token minimum (about 4,096 bytes by the planner's estimate).
    private static readonly string LongSystem = string.Concat(Enumerable.Repeat("You analyse residential real estate listings. ", 120));

    private static string Body(string question = "Analyse 12 Oak Street") => Requests.Body(question, system: LongSystem);

    private static JsonNode Sent(ProxyHost proxy, int index = 0) => JsonNode.Parse(proxy.Upstream.Received[index].Body)!;

    [Fact]
    public async Task Default_FirstRequestGoesUnmarked_TheSystemPromptIsWrittenWhenItComesBack()
    {
        await using var proxy = await ProxyHost.StartAsync();

        var (first, _) = await Requests.SendAsync(proxy.Client, Body());
        var (second, _) = await Requests.SendAsync(proxy.Client, Body("Analyse 14 Oak Street"));

        // Nothing predicts a read of a prompt never seen: the caller's bytes go as they came.
        Assert.Equal(Body(), proxy.Upstream.Received[0].BodyText);
        Assert.Null(first.Headers.TryGetValues(Header, out _) ? "marked" : null);

        // The system prompt came back: written now, for the third to read. A first turn nobody continued is not.
        var sent = Sent(proxy, 1);
        Assert.Equal("""{"type":"ephemeral"}""", sent["system"]![0]!["cache_control"]!.ToJsonString());
        Assert.Equal(LongSystem, sent["system"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("Analyse 14 Oak Street", sent["messages"]![0]!["content"]!.GetValue<string>());
        Assert.Equal("1", second.Header(Header));
        Assert.Null(proxy.Upstream.Received[1].Header(Header));
    }

    [Fact]
    public async Task Default_ThirdRequestReadsTheSystemPromptTheSecondWrote()
    {
        await using var proxy = await ProxyHost.StartAsync();

        await Requests.SendAsync(proxy.Client, Body());
        await Requests.SendAsync(proxy.Client, Body("Analyse 14 Oak Street"));
        var (third, text) = await Requests.SendAsync(proxy.Client, Body("Analyse 16 Oak Street"));

        using var usage = System.Text.Json.JsonDocument.Parse(text);
        Assert.True(usage.RootElement.GetProperty("usage").GetProperty("cache_read_input_tokens").GetInt32() > 1000);
        Assert.Equal(0, usage.RootElement.GetProperty("usage").GetProperty("cache_creation_input_tokens").GetInt32());
        Assert.Equal("1", third.Header(Header));
    }

    [Fact]
    public async Task HeaderAlways_MarksSystemAndLastUserBlock_OnAFirstRequest()
    {
        await using var proxy = await ProxyHost.StartAsync();

        var (response, _) = await Requests.SendAsync(proxy.Client, Body(), (Header, "always"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Sent(proxy);
        Assert.Equal("""{"type":"ephemeral"}""", sent["system"]![0]!["cache_control"]!.ToJsonString());
        Assert.Equal("""{"type":"ephemeral"}""", sent["messages"]![0]!["content"]![0]!["cache_control"]!.ToJsonString());
        Assert.Equal("Analyse 12 Oak Street", sent["messages"]![0]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("2", response.Header(Header));
    }

    [Fact]
    public async Task OneHourOption_SendsTtl1h()
    {
        var settings = new Dictionary<string, string?> { ["ClaudeCache:PromptCaching:OneHourTtl"] = "true" };
        await using var proxy = await ProxyHost.StartAsync(settings: settings);

        await Requests.SendAsync(proxy.Client, Body(), (Header, "always"));

        Assert.Equal("""{"type":"ephemeral","ttl":"1h"}""", Sent(proxy)["system"]![0]!["cache_control"]!.ToJsonString());
    }

    [Fact]
    public async Task OptionOff_ForwardsTheBodyUnchanged_EvenWhenThePromptComesBack()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: Off);

        await Requests.SendAsync(proxy.Client, Body());
        await Requests.SendAsync(proxy.Client, Body("Analyse 14 Oak Street"));

        Assert.Equal(Body(), proxy.Upstream.Received[0].BodyText);
        Assert.Equal(Body("Analyse 14 Oak Street"), proxy.Upstream.Received[1].BodyText);
    }

    [Fact]
    public async Task HeaderOff_OverridesTheOption_AndIsNotForwarded()
    {
        await using var proxy = await ProxyHost.StartAsync();

        await Requests.SendAsync(proxy.Client, Body());
        await Requests.SendAsync(proxy.Client, Body("Analyse 14 Oak Street"), (Header, "off"));

        Assert.Equal(Body("Analyse 14 Oak Street"), proxy.Upstream.Received[1].BodyText);
        Assert.Null(proxy.Upstream.Received[1].Header(Header));
    }

    [Fact]
    public async Task HeaderAuto_TurnsItOnForOneRequest_WhenTheOptionIsOff()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: Off);

        await Requests.SendAsync(proxy.Client, Body(), (Header, "auto"));
        await Requests.SendAsync(proxy.Client, Body("Analyse 14 Oak Street"), (Header, "auto"));
        await Requests.SendAsync(proxy.Client, Body("Analyse 16 Oak Street"));

        Assert.NotNull(Sent(proxy, 1)["system"]![0]!["cache_control"]);
        Assert.Null(proxy.Upstream.Received[1].Header(Header));
        Assert.Equal(Body("Analyse 16 Oak Street"), proxy.Upstream.Received[2].BodyText);
    }

    [Fact]
    public async Task Breakpoints_DoNotChangeTheCacheKey()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Body();

        var (planned, _) = await Requests.SendAsync(proxy.Client, body, (Header, "always"));
        var (plain, _) = await Requests.SendAsync(proxy.Client, body, (Header, "off"));

        Assert.Equal("MISS", planned.Header("x-cache"));
        Assert.Equal("HIT", plain.Header("x-cache"));
        Assert.Equal(planned.Header("x-cache-key"), plain.Header("x-cache-key"));
        Assert.Equal(1, proxy.Upstream.MessagesCalls);
        Assert.Contains("cache_control", proxy.Upstream.Received[0].BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShortPrompt_IsForwardedUnchanged_EvenWhenAlwaysMarked()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("What is a cap rate?");

        await Requests.SendAsync(proxy.Client, body, (Header, "always"));

        Assert.Equal(body, proxy.Upstream.Received[0].BodyText);
    }

    [Fact]
    public async Task CountTokens_IsForwardedUnchanged()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = $$"""{"model":"claude-sonnet-4-5","system":{{JsonValue.Create(LongSystem).ToJsonString()}},"messages":[{"role":"user","content":"Hi"}]}""";

        using var request = Requests.Post(body, "v1/messages/count_tokens", (Header, "always"));
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, proxy.Upstream.Received[0].BodyText);
    }

    [Fact]
    public async Task UnknownHeaderValue_IsA400()
    {
        await using var proxy = await ProxyHost.StartAsync();

        var (response, text) = await Requests.SendAsync(proxy.Client, Body(), (Header, "sometimes"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(Header, System.Text.Encoding.UTF8.GetString(text), StringComparison.Ordinal);
        Assert.Equal(0, proxy.Upstream.TotalCalls);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EightConcurrentQuestionsOnAColdDocument_OneWritesIt_SevenWaitAndReadIt(bool coalesce)
    {
        var settings = coalesce ? null : new Dictionary<string, string?> { ["ClaudeCache:PromptCaching:MaxColdPrefixWait"] = "00:00:00" };
        await using var proxy = await ProxyHost.StartAsync(settings: settings);
        var planner = proxy.Services.GetRequiredService<PromptCachePlanner>();
        var document = string.Concat(Enumerable.Repeat("The buyer pays the transfer tax unless the seller agrees otherwise. ", 150));
        BurstGate.HoldUntilAllArrive(proxy.Upstream, 8, () => planner.Waiting);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            var body = new JsonObject
            {
                ["model"] = "claude-sonnet-4-5",
                ["max_tokens"] = 256,
                ["messages"] = new JsonArray(new JsonObject
                {
                    ["role"] = "user",
                    ["content"] = new JsonArray(
                        new JsonObject { ["type"] = "text", ["text"] = document },
                        new JsonObject { ["type"] = "text", ["text"] = $"Question {i}: who pays what?" }),
                }),
            }.ToJsonString();
            var (response, text) = await Requests.SendAsync(proxy.Client, body);
            using var json = System.Text.Json.JsonDocument.Parse(text);
            var usage = json.RootElement.GetProperty("usage");
            return (Wait: response.Headers.Contains("x-cache-prompt-wait"),
                Written: usage.GetProperty("cache_creation_input_tokens").GetInt32(),
                Read: usage.GetProperty("cache_read_input_tokens").GetInt32());
        }));

        Assert.Equal(8, proxy.Upstream.MessagesCalls);
        if (coalesce)
        {
            Assert.Equal(1, answers.Count(a => a.Written > 0));
            Assert.Equal(7, answers.Count(a => a.Read > 0 && a.Written == 0));
            Assert.Equal(7, answers.Count(a => a.Wait));
            Assert.Equal(7, planner.ColdPrefixWaits);
            var metrics = await proxy.Client.GetStringAsync("metrics");
            Assert.Matches(new System.Text.RegularExpressions.Regex(@"^claudecache_prompt_planner_waits_total(\{[^}]*\})? 7(\s|$)", System.Text.RegularExpressions.RegexOptions.Multiline), metrics);
            using var admin = proxy.CreateAdminClient();
            using var stats = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync("admin/stats"));
            Assert.Equal(7, stats.RootElement.GetProperty("promptCache").GetProperty("coldPrefixWaits").GetInt64());
            Assert.Equal(0, stats.RootElement.GetProperty("promptCache").GetProperty("valvesClosed").GetArrayLength());
        }
        else
        {
            // Without the wait, every call meets the cold prefix and pays the write, as straight to Anthropic; none
            // waited, and none is counted as waiting (the gate above counts waiting calls as arrived).
            Assert.Equal(8, answers.Count(a => a.Written > 0 && a.Read == 0));
            Assert.Equal(0, answers.Count(a => a.Wait));
            Assert.Equal(0, planner.ColdPrefixWaits);
        }
    }
}
