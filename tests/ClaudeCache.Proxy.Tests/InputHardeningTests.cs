using System.Net;
using System.Text;
using System.Text.Json;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Proxy.Tests;

/// <summary>Issue 10: every bad input gets a clean 4xx in Anthropic's envelope, is never forwarded and never stored.</summary>
public sealed class InputHardeningTests
{
    private const string Valid = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Explain escrow"}]}""";

    public static TheoryData<string, byte[]> UnreadableBodies()
    {
        var data = new TheoryData<string, byte[]>();
        byte[][] bodies =
        [
            Encoding.UTF8.GetBytes("""{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi \ud800"}]}"""),
            Encoding.UTF8.GetBytes("""{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}],"\udc00":1}"""),
            Encoding.UTF8.GetBytes("""{"model":"claude-sonnet-4-5","max_tokens":64,"system":"explain \ud800\u0041","messages":[]}"""),
            [.. Encoding.UTF8.GetBytes("""{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi """), 0xFF, .. "\"}]}"u8],
            [.. Encoding.UTF8.GetBytes("""{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[],"x"""), 0xED, 0xA0, 0x80, .. "\":1}"u8],
        ];
        foreach (var path in new[] { "v1/messages", "v1/messages/count_tokens" })
        {
            foreach (var body in bodies)
            {
                data.Add(path, body);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(UnreadableBodies))]
    public async Task LoneSurrogateOrInvalidUtf8_Is400InvalidRequest_NeverForwarded_NeverStored(string path, byte[] body)
    {
        await using var proxy = await ProxyHost.StartAsync();

        for (var attempt = 0; attempt < 2; attempt++)
        {
            var (status, errorType, response) = await SendBytesAsync(proxy, path, body);

            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("invalid_request_error", errorType);
            Assert.Equal("false", response.Header("x-should-retry"));
        }

        Assert.Equal(0, proxy.Upstream.TotalCalls);
        Assert.Equal(0, proxy.Cache.Memory.Count);
    }

    [Theory]
    [InlineData("tool_choice", "null", "tool_choice")]
    [InlineData("tool_choice", "0", "tool_choice")]
    [InlineData("tool_choice", "\"s\"", "tool_choice")]
    [InlineData("tool_choice", "[]", "tool_choice")]
    [InlineData("tool_choice", """{"type":"tool"}""", "tool_choice.tool.name")]
    [InlineData("top_p", "-1", "top_p")]
    [InlineData("top_p", "1.5", "top_p")]
    [InlineData("top_k", "-1", "top_k")]
    [InlineData("temperature", "2", "temperature")]
    [InlineData("tools", "[{}]", "tools.0.name")]
    [InlineData("tools", """[{"name":"f"}]""", "tools.0.input_schema")]
    [InlineData("thinking", "{}", "thinking")]
    [InlineData("thinking", """{"type":"enabled","budget_tokens":10}""", "thinking.enabled.budget_tokens")]
    [InlineData("metadata", """{"a":1}""", "metadata.a")]
    public async Task InvalidField_Is400_NeverForwarded_EvenThoughTheUpstreamWouldAnswer200(string field, string value, string mentions)
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Valid.TrimEnd('}') + $",\"{field}\":{value}}}";

        for (var attempt = 0; attempt < 2; attempt++)
        {
            var (response, bytes) = await Requests.SendAsync(proxy.Client, body);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            using var json = JsonDocument.Parse(bytes);
            Assert.Equal("invalid_request_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
            Assert.StartsWith(mentions + ":", json.RootElement.GetProperty("error").GetProperty("message").GetString()!, StringComparison.Ordinal);
        }

        Assert.Equal(0, proxy.Upstream.TotalCalls);
        Assert.Equal(0, proxy.Cache.Memory.Count);
    }

    [Fact]
    public async Task ValidToolsChoiceThinkingAndMetadata_AreForwardedAndCached()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Valid.TrimEnd('}') + """
            ,"tools":[{"name":"get_weather","input_schema":{"type":"object"}},{"type":"web_search_20250305","name":"web_search","max_uses":2}],
            "tool_choice":{"type":"auto","disable_parallel_tool_use":true},"thinking":{"type":"enabled","budget_tokens":1024},
            "metadata":{"user_id":"u-1"},"top_p":0.9,"top_k":5,"temperature":0.5}
            """;

        var (first, _) = await Requests.SendAsync(proxy.Client, body);
        await proxy.SettleAsync();
        var (second, _) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("HIT", second.Header("x-cache"));
        Assert.Equal(1, proxy.Upstream.MessagesCalls);
    }

    [Theory]
    [InlineData("user-agent", "MyApp/1.0 (Zürich)")]
    [InlineData("anthropic-beta", "béta")]
    [InlineData("user-agent", "客户端/2 😀")]
    public async Task NonAsciiHeader_IsForwardedAsSent_NotA502(string header, string value)
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var client = Utf8HeaderClient(proxy);
        using var request = Requests.Post(Valid, "v1/messages", (header, value));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(value, Assert.Single(proxy.Upstream.Received).Header(header));
    }

    [Fact]
    public async Task NonAsciiHeader_OnThePassThroughRoute_IsForwardedAsSent()
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var client = Utf8HeaderClient(proxy);
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        request.Headers.TryAddWithoutValidation("user-agent", "MyApp/1.0 (Zürich)");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("MyApp/1.0 (Zürich)", Assert.Single(proxy.Upstream.Received).Header("user-agent"));
    }

    [Theory]
    [InlineData("/v1/messages", "zz\r\n{}\r\n0\r\n\r\n")]
    [InlineData("/v1/messages/count_tokens", "5\r\n{}\r\n0\r\n\r\n")]
    [InlineData("/v1/messages/batches", "zz\r\n{}\r\n0\r\n\r\n")]
    [InlineData("/v1/messages/batches", "FFFFFFFFFF\r\n{}\r\n0\r\n\r\n")]
    [InlineData("/v1/messages", "FFFFFFFFFF\r\n{}\r\n0\r\n\r\n")]
    [InlineData("/v1/messages/count_tokens", "FFFFFFFFFF\r\n{}\r\n0\r\n\r\n")]
    public async Task BadChunking_Is400InTheEnvelope_NeverForwarded(string path, string chunkedBody)
    {
        await using var proxy = await ProxyHost.StartAsync();

        var answer = await RawHttp.SendAsync(proxy.BaseAddress, RawHttp.Head("POST", path, proxy.BaseAddress, chunked: true), Encoding.ASCII.GetBytes(chunkedBody));

        Assert.Equal(400, answer.Status);
        Assert.Equal("invalid_request_error", answer.EnvelopeErrorType());
        Assert.Equal("false", answer.Headers["x-should-retry"]);
        Assert.Equal(0, proxy.Upstream.TotalCalls);
    }

    [Theory]
    [InlineData("DELETE", "/healthz", 405, "invalid_request_error")]
    [InlineData("GET", "/nowhere", 404, "not_found_error")]
    public async Task BareStatusFromRouting_IsInTheEnvelope(string method, string path, int status, string errorType)
    {
        await using var proxy = await ProxyHost.StartAsync();

        var answer = await RawHttp.SendAsync(proxy.BaseAddress, RawHttp.Head(method, path, proxy.BaseAddress, contentLength: 0));

        Assert.Equal(status, answer.Status);
        Assert.Equal(errorType, answer.EnvelopeErrorType());
        Assert.Equal(0, proxy.Upstream.TotalCalls);
    }

    [Fact]
    public async Task BodyThatNeverArrives_Is408InTheEnvelope_NeverForwarded()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var proxy = await StartWithShortBodyRateGraceAsync(upstream);
        RawHttp.Answer answer;
        try
        {
            var server = new Uri(proxy.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

            // Eleven bytes of a promised hundred, then silence: Kestrel's minimum body data rate ends the wait.
            answer = await RawHttp.SendAsync(server, RawHttp.Head("POST", "/v1/messages", server, contentLength: 100), """{"model":"c"""u8.ToArray());
        }
        finally
        {
            await proxy.StopAsync();
            await proxy.DisposeAsync();
        }

        Assert.Equal(408, answer.Status);
        Assert.Equal("invalid_request_error", answer.EnvelopeErrorType());
        Assert.Equal(0, upstream.TotalCalls);
    }

    private static async Task<(HttpStatusCode Status, string? ErrorType, HttpResponseMessage Response)> SendBytesAsync(ProxyHost proxy, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var response = await proxy.Client.PostAsync(path, content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        using var json = JsonDocument.Parse(bytes);
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.StartsWith("req_", json.RootElement.GetProperty("request_id").GetString()!, StringComparison.Ordinal);
        return (response.StatusCode, json.RootElement.GetProperty("error").GetProperty("type").GetString(), response);
    }

    // A client that may send non-ASCII header values (as UTF-8), like curl or a browser does.
    private static HttpClient Utf8HeaderClient(ProxyHost proxy)
    {
        var client = new HttpClient(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 }) { BaseAddress = proxy.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-ant-test-key-1");
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    private static async Task<WebApplication> StartWithShortBodyRateGraceAsync(FakeAnthropicUpstream upstream)
    {
        var app = ProxyApp.Create([], new Dictionary<string, string?>
        {
            ["ClaudeCache:Port"] = "0",
            ["ClaudeCache:Upstream"] = upstream.BaseAddress.ToString(),
            ["ClaudeCache:Storage:SqlitePath"] = TempFiles.NewDatabasePath(),
            ["Logging:LogLevel:Default"] = "Warning",
        }, configureServices: services => services.Configure<KestrelServerOptions>(
            kestrel => kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(240, TimeSpan.FromSeconds(2))));
        await app.StartAsync();
        return app;
    }
}
