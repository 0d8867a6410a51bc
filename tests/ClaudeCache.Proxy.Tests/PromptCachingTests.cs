using System.Net;
using System.Text.Json.Nodes;
using ClaudeCache.Proxy.Tests.Infrastructure;

namespace ClaudeCache.Proxy.Tests;

public sealed class PromptCachingTests
{
    private const string Header = "x-cache-prompt-breakpoints";

    private static readonly Dictionary<string, string?> On = new() { ["ClaudeCache:PromptCaching:AutoBreakpoints"] = "true" };

    // A system prompt well over Sonnet's 1,024-token minimum (about 4,096 bytes by the planner's estimate).
    private static readonly string LongSystem = string.Concat(Enumerable.Repeat("You analyse residential real estate listings. ", 120));

    private static string Body(string question = "Analyse 12 Oak Street") => Requests.Body(question, system: LongSystem);

    private static JsonNode Sent(ProxyHost proxy, int index = 0) => JsonNode.Parse(proxy.Upstream.Received[index].Body)!;

    [Fact]
    public async Task OptionOn_UpstreamReceivesBreakpointsOnSystemAndLastUserBlock()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: On);

        var (response, _) = await Requests.SendAsync(proxy.Client, Body());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Sent(proxy);
        Assert.Equal("""{"type":"ephemeral"}""", sent["system"]![0]!["cache_control"]!.ToJsonString());
        Assert.Equal(LongSystem, sent["system"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("""{"type":"ephemeral"}""", sent["messages"]![0]!["content"]![0]!["cache_control"]!.ToJsonString());
        Assert.Equal("Analyse 12 Oak Street", sent["messages"]![0]!["content"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task OneHourOption_SendsTtl1h()
    {
        var settings = new Dictionary<string, string?>(On) { ["ClaudeCache:PromptCaching:OneHourTtl"] = "true" };
        await using var proxy = await ProxyHost.StartAsync(settings: settings);

        await Requests.SendAsync(proxy.Client, Body());

        Assert.Equal("""{"type":"ephemeral","ttl":"1h"}""", Sent(proxy)["system"]![0]!["cache_control"]!.ToJsonString());
    }

    [Fact]
    public async Task OptionOff_ForwardsTheBodyUnchanged()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Body();

        await Requests.SendAsync(proxy.Client, body);

        Assert.Equal(body, proxy.Upstream.Received[0].BodyText);
    }

    [Fact]
    public async Task HeaderOff_OverridesTheOption_AndIsNotForwarded()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: On);
        var body = Body();

        await Requests.SendAsync(proxy.Client, body, (Header, "off"));

        Assert.Equal(body, proxy.Upstream.Received[0].BodyText);
        Assert.Null(proxy.Upstream.Received[0].Header(Header));
    }

    [Fact]
    public async Task HeaderAuto_TurnsItOnForOneRequest_AndIsNotForwarded()
    {
        await using var proxy = await ProxyHost.StartAsync();

        await Requests.SendAsync(proxy.Client, Body(), (Header, "auto"));
        await Requests.SendAsync(proxy.Client, Body("Analyse 14 Oak Street"));

        Assert.NotNull(Sent(proxy, 0)["system"]![0]!["cache_control"]);
        Assert.Null(proxy.Upstream.Received[0].Header(Header));
        Assert.Equal(Body("Analyse 14 Oak Street"), proxy.Upstream.Received[1].BodyText);
    }

    [Fact]
    public async Task Breakpoints_DoNotChangeTheCacheKey()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Body();

        var (planned, _) = await Requests.SendAsync(proxy.Client, body, (Header, "auto"));
        var (plain, _) = await Requests.SendAsync(proxy.Client, body, (Header, "off"));

        Assert.Equal("MISS", planned.Header("x-cache"));
        Assert.Equal("HIT", plain.Header("x-cache"));
        Assert.Equal(planned.Header("x-cache-key"), plain.Header("x-cache-key"));
        Assert.Equal(1, proxy.Upstream.MessagesCalls);
        Assert.Contains("cache_control", proxy.Upstream.Received[0].BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShortPrompt_IsForwardedUnchanged_EvenWithTheOptionOn()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: On);
        var body = Requests.Body("What is a cap rate?");

        await Requests.SendAsync(proxy.Client, body);

        Assert.Equal(body, proxy.Upstream.Received[0].BodyText);
    }

    [Fact]
    public async Task CountTokens_IsForwardedUnchanged()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: On);
        var body = $$"""{"model":"claude-sonnet-4-5","system":{{JsonValue.Create(LongSystem).ToJsonString()}},"messages":[{"role":"user","content":"Hi"}]}""";

        using var request = Requests.Post(body, "v1/messages/count_tokens");
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
}
