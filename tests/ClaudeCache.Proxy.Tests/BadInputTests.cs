using System.Net;
using System.Text.Json;
using ClaudeCache.Proxy.Tests.Infrastructure;

namespace ClaudeCache.Proxy.Tests;

public sealed class BadInputTests
{
    public static TheoryData<string, string> InvalidBodies => new()
    {
        { "{not json", "JSON" },
        { "[]", "" },
        { """{"messages":[{"role":"user","content":"hi"}],"max_tokens":10}""", "model" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10}""", "messages" },
        { """{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}""", "max_tokens" },
        { """{"model":42,"messages":[{"role":"user","content":"hi"}],"max_tokens":10}""", "model" },
        { """{"model":"claude-sonnet-4-5","messages":"hi","max_tokens":10}""", "messages" },
        { """{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}],"max_tokens":"ten"}""", "max_tokens" },
        { """{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}],"max_tokens":10,"stream":"yes"}""", "stream" },
        { """{"model":"claude-sonnet-4-5","messages":[{"role":"robot","content":"hi"}],"max_tokens":10}""", "role" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task InvalidBody_Is400InvalidRequest_AndNeverForwarded(string body, string mentions)
    {
        await using var proxy = await ProxyHost.StartAsync();

        var (response, bytes) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(bytes);
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains(mentions, error.GetProperty("message").GetString()!, StringComparison.Ordinal);
        Assert.StartsWith("req_", json.RootElement.GetProperty("request_id").GetString()!, StringComparison.Ordinal);
        Assert.Equal("false", response.Header("x-should-retry"));
        Assert.Equal(0, proxy.Upstream.TotalCalls);
        Assert.Equal(0, proxy.Cache.Memory.Count);
    }

    [Theory]
    [InlineData("x-cache-strategy", "forever")]
    [InlineData("Cache-Control", "max-age=soon")]
    [InlineData("x-cache-namespace", "has spaces/and slashes")]
    public async Task InvalidControlHeader_Is400_AndNeverForwarded(string header, string value)
    {
        await using var proxy = await ProxyHost.StartAsync();

        var (response, bytes) = await Requests.SendAsync(proxy.Client, Requests.Body("Explain escrow"), (header, value));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(header.ToLowerInvariant(), System.Text.Encoding.UTF8.GetString(bytes).ToLowerInvariant(), StringComparison.Ordinal);
        Assert.Equal(0, proxy.Upstream.TotalCalls);
    }

    [Fact]
    public async Task OversizedBody_Is413_AndNeverForwarded()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?> { ["ClaudeCache:MaxRequestBodyBytes"] = "4096" });
        var body = Requests.Body(new string('a', 10_000));

        var (response, bytes) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("request_too_large", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.Equal(0, proxy.Upstream.TotalCalls);
    }

    [Fact]
    public async Task OversizedChunkedBody_Is413_AndNeverForwarded()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?> { ["ClaudeCache:MaxRequestBodyBytes"] = "4096" });
        using var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Requests.Body(new string('a', 10_000)))));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, proxy.Upstream.TotalCalls);
    }
}
