using System.Net;
using System.Text;
using System.Text.Json;
using global::Anthropic.Models.Messages;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>The official SDK with <see cref="ClaudeCacheHandler"/> in its HttpClient: the proxy's behaviour, in-process.</summary>
public sealed class HandlerTests
{
    internal static MessageCreateParams Params(string text, IReadOnlyList<string>? stopSequences = null, IReadOnlyList<ToolUnion>? tools = null) => new()
    {
        Model = "claude-sonnet-4-5",
        MaxTokens = 512,
        System = "You are a real-estate assistant.",
        Messages = [new UserMessageParam(text)],
        StopSequences = stopSequences,
        Tools = tools,
    };

    internal static ToolUnion Tool(string name, string description, string property) => new Tool
    {
        Name = name,
        Description = description,
        InputSchema = InputSchema.FromRawUnchecked(new Dictionary<string, JsonElement>
        {
            ["type"] = JsonSerializer.SerializeToElement("object"),
            ["properties"] = JsonSerializer.SerializeToElement(new Dictionary<string, object> { [property] = new { type = "string" } }),
        }),
    };

    internal static async Task<string> CollectAsync(global::Anthropic.AnthropicClient client, MessageCreateParams parameters)
    {
        var text = new StringBuilder();
        await foreach (var ev in client.Messages.CreateStreaming(parameters, TestContext.Current.CancellationToken))
        {
            text.Append(ev.Json.GetRawText()).Append('\n');
        }

        return text.ToString();
    }

    [Fact]
    public async Task Sdk_NonStreaming_SecondIdenticalCall_IsNotSentUpstream()
    {
        await using var test = await TestEngine.StartAsync();
        using var client = test.Sdk();
        var ct = TestContext.Current.CancellationToken;

        var first = await client.Messages.Create(Params("Analyse 12 Oak Street"), ct);
        var second = await client.Messages.Create(Params("Analyse 12 Oak Street"), ct);

        Assert.Equal(1, test.Upstream.MessagesCalls);
        Assert.Equal(first.ID, second.ID);
        Assert.True(second.Content[0].TryPickText(out var text));
        Assert.StartsWith("Analysis of", text!.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sdk_Streaming_SecondIdenticalCall_IsNotSentUpstream_AndReplaysTheSameEvents()
    {
        await using var test = await TestEngine.StartAsync();
        using var client = test.Sdk();

        var first = await CollectAsync(client, Params("Stream an analysis"));
        var second = await CollectAsync(client, Params("Stream an analysis"));

        Assert.Equal(1, test.Upstream.MessagesCalls);
        Assert.Equal(first, second);
        Assert.Contains("message_stop", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sdk_DifferentOptionsOrTools_AreMisses()
    {
        await using var test = await TestEngine.StartAsync();
        using var client = test.Sdk();
        var ct = TestContext.Current.CancellationToken;

        await client.Messages.Create(Params("Same prompt"), ct);
        await client.Messages.Create(Params("Same prompt", stopSequences: ["END"]), ct);
        await client.Messages.Create(Params("Same prompt", tools: [Tool("get_comparables", "Comparable sales", "address")]), ct);
        await client.Messages.Create(Params("Same prompt", tools: [Tool("get_comparables", "Comparable sales", "postcode")]), ct);
        await client.Messages.Create(Params("Same prompt", tools: [Tool("get_comparables", "Comparable sales", "postcode")]), ct);

        Assert.Equal(4, test.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task Sdk_StreamThenJson_IsServedFromTheRecordedStream()
    {
        await using var test = await TestEngine.StartAsync();
        using var client = test.Sdk();

        await CollectAsync(client, Params("Stored as a stream"));
        var json = await client.Messages.Create(Params("Stored as a stream"), TestContext.Current.CancellationToken);

        Assert.Equal(1, test.Upstream.MessagesCalls);
        Assert.True(json.Content[0].TryPickText(out _));
    }

    [Fact]
    public async Task Sdk_CountTokens_IsCached()
    {
        await using var test = await TestEngine.StartAsync();
        using var client = test.Sdk();
        var ct = TestContext.Current.CancellationToken;
        var parameters = new MessageCountTokensParams { Model = "claude-sonnet-4-5", Messages = [new UserMessageParam("Count me")] };

        var first = await client.Messages.CountTokens(parameters, ct);
        var second = await client.Messages.CountTokens(parameters, ct);

        Assert.Equal(1, test.Upstream.CountTokensCalls);
        Assert.Equal(first.InputTokens, second.InputTokens);
    }

    [Fact]
    public async Task Hit_CarriesTheProxysHeaders_AndTheStoredOrganizationId_AndControlHeadersNeverGoUpstream()
    {
        await using var test = await TestEngine.StartAsync();
        using var http = new HttpClient(new ClaudeCacheHandler(test.Engine, new SocketsHttpHandler(), test.Clock)) { BaseAddress = test.Upstream.BaseAddress };
        var body = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Headers"}]}""";

        async Task<HttpResponseMessage> SendAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("x-api-key", "sk-ant-headers");
            request.Headers.Add("anthropic-version", "2023-06-01");
            request.Headers.Add("x-cache-context", "explanation");
            request.Headers.Add("Accept-Encoding", "gzip");
            return await http.SendAsync(request, TestContext.Current.CancellationToken);
        }

        var organization = Guid.NewGuid().ToString();
        test.Upstream.OrganizationId = organization;
        using var miss = await SendAsync();
        test.Upstream.OrganizationId = Guid.NewGuid().ToString();
        using var hit = await SendAsync();

        Assert.Equal("MISS", string.Join(",", miss.Headers.GetValues("x-cache")));
        Assert.Equal("HIT", string.Join(",", hit.Headers.GetValues("x-cache")));
        // The hit carries the organisation its answer was stored with, as the proxy's does.
        Assert.Equal(organization, string.Join(",", hit.Headers.GetValues("anthropic-organization-id")));
        Assert.Equal("aggressive", string.Join(",", hit.Headers.GetValues("x-cache-strategy")));
        Assert.Equal(miss.Headers.GetValues("x-cache-key"), hit.Headers.GetValues("x-cache-key"));
        Assert.Equal(await miss.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), await hit.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var sent = Assert.Single(test.Upstream.Received);
        Assert.DoesNotContain(sent.Headers.Keys, name => name.StartsWith("x-cache", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(sent.Headers.Keys, name => name.Equals("accept-encoding", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task InvalidBody_GetsTheProxys400_AndIsNotForwarded()
    {
        await using var test = await TestEngine.StartAsync();
        using var http = new HttpClient(new ClaudeCacheHandler(test.Engine, new SocketsHttpHandler(), test.Clock)) { BaseAddress = test.Upstream.BaseAddress };

        using var response = await http.PostAsync("v1/messages", new StringContent("""{"model":"claude-sonnet-4-5","messages":[]}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("invalid_request_error", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(0, test.Upstream.TotalCalls);
    }

    [Fact]
    public async Task OtherRoutes_PassThrough()
    {
        await using var test = await TestEngine.StartAsync();
        using var client = test.Sdk();

        var first = await client.Models.List(new global::Anthropic.Models.Models.ModelListParams { Limit = 2 }, TestContext.Current.CancellationToken);
        await client.Models.List(new global::Anthropic.Models.Models.ModelListParams { Limit = 2 }, TestContext.Current.CancellationToken);

        Assert.NotEmpty(first.Items);
        Assert.Equal(2, test.Upstream.TotalCalls);
    }

    [Fact]
    public async Task ConcurrentIdenticalCalls_MakeOneUpstreamCall()
    {
        await using var test = await TestEngine.StartAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        test.Upstream.BeforeRespond = (_, ct) => gate.Task.WaitAsync(ct);
        using var client = test.Sdk();

        var calls = Enumerable.Range(0, 4).Select(_ => client.Messages.Create(Params("Coalesce me"), TestContext.Current.CancellationToken)).ToArray();
        // Hold the one upstream call until the three other callers have joined it.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            while (test.Cache.Metrics.Coalesced < 3)
            {
                await Task.Delay(10, timeout.Token);
            }
        }

        gate.SetResult();
        var answers = await Task.WhenAll(calls);

        Assert.Equal(1, test.Upstream.MessagesCalls);
        Assert.Single(answers.Select(a => a.ID).Distinct());
    }
}
