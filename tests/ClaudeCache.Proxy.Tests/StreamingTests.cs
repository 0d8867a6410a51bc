using System.Net;
using System.Text;
using System.Text.Json;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;

namespace ClaudeCache.Proxy.Tests;

public sealed class StreamingTests
{
    public static TheoryData<string> Kinds => new() { "text", "tool_use", "thinking" };

    private static FakeReply ReplyOfKind(string kind) => kind switch
    {
        "tool_use" => FakeReply.ToolUseReply("get_comparables", """{"address":"12 Oak Street","radius_miles":2}"""),
        "thinking" => FakeReply.ThinkingReply("Let me weigh price per square foot against the neighbourhood median.", "The property is fairly priced.", "EqQBCkYIBxgCKkAsig"),
        _ => FakeReply.TextReply("The property at 12 Oak Street is priced 4% below comparable sales, with strong rental demand."),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task StreamedHit_IsByteIdenticalToWhatTheUpstreamSent(string kind)
    {
        await using var proxy = await ProxyHost.StartAsync();
        proxy.Upstream.Responder = _ => ReplyOfKind(kind);
        var body = Requests.Body("Analyse 12 Oak Street", stream: true);

        var (miss, missBytes) = await Requests.SendAsync(proxy.Client, body);
        var (hit, hitBytes) = await Requests.SendAsync(proxy.Client, body);

        Assert.Equal("MISS", miss.Header("x-cache"));
        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal("text/event-stream", hit.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, proxy.Upstream.MessagesCalls);
        Assert.Equal(Encoding.UTF8.GetString(missBytes), Encoding.UTF8.GetString(hitBytes));
        var text = Encoding.UTF8.GetString(hitBytes);
        Assert.Contains("data: {\"type\": \"ping\"}\n\n", text, StringComparison.Ordinal);
        Assert.Matches("data: \\{.*  +\\}\n", text);
        Assert.Matches("event: message_stop\ndata: \\{\"type\":\"message_stop\" *\\}\n\n$", text);
    }

    [Fact]
    public async Task StoredStream_AnswersAJsonRequest_WithTheAccumulatedMessage()
    {
        await using var proxy = await ProxyHost.StartAsync();
        proxy.Upstream.Responder = _ => ReplyOfKind("tool_use");

        await Requests.SendAsync(proxy.Client, Requests.Body("Find comparables", stream: true));
        var (hit, json) = await Requests.SendAsync(proxy.Client, Requests.Body("Find comparables"));

        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal("application/json", hit.Content.Headers.ContentType?.MediaType);
        using var message = JsonDocument.Parse(json);
        var root = message.RootElement;
        Assert.Equal("message", root.GetProperty("type").GetString());
        Assert.Equal("tool_use", root.GetProperty("stop_reason").GetString());
        var block = root.GetProperty("content")[0];
        Assert.Equal("get_comparables", block.GetProperty("name").GetString());
        Assert.Equal(2, block.GetProperty("input").GetProperty("radius_miles").GetInt32());
        Assert.Equal("model", root.EnumerateObject().First().Name);
    }

    [Fact]
    public async Task StoredJson_AnswersAStreamingRequest_WithASynthesisedStream()
    {
        await using var proxy = await ProxyHost.StartAsync();
        proxy.Upstream.Responder = _ => ReplyOfKind("text");

        var (_, json) = await Requests.SendAsync(proxy.Client, Requests.Body("Summarise the listing"));
        var (hit, sse) = await Requests.SendAsync(proxy.Client, Requests.Body("Summarise the listing", stream: true));

        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal("text/event-stream", hit.Content.Headers.ContentType?.MediaType);
        var text = Encoding.UTF8.GetString(sse);
        Assert.StartsWith("event: message_start\n", text, StringComparison.Ordinal);
        Assert.Contains("event: message_stop\n", text, StringComparison.Ordinal);
        using var original = JsonDocument.Parse(json);
        var expected = original.RootElement.GetProperty("content")[0].GetProperty("text").GetString()!;
        var deltas = string.Concat(SseText.TextDeltas(text));
        Assert.Equal(expected, deltas);
    }

    [Fact]
    public async Task StreamedMiss_ReachesTheClientAsEventsArrive()
    {
        var upstream = await FakeAnthropicUpstream.StartAsync();
        await using var proxy = await ProxyHost.StartAsync(upstream: upstream);
        try
        {
            // The first event at once, every later one ten minutes apart: a proxy that held the stream back (to the
            // end, or for a few events) would have nothing to show the client before the hang guard.
            upstream.Responder = _ => FakeReply.TextReply(new string('x', 400)) with { EventInterval = TimeSpan.FromMinutes(10), TextChunkSize = 20 };
            using var request = Requests.Post(Requests.Body("Stream slowly", stream: true));
            using var noHang = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            noHang.CancelAfter(TimeSpan.FromSeconds(30));

            using var response = await proxy.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, noHang.Token);
            await using var stream = await response.Content.ReadAsStreamAsync(noHang.Token);
            var buffer = new byte[4096];
            var read = await stream.ReadAsync(buffer, noHang.Token);
            var firstChunk = Encoding.UTF8.GetString(buffer, 0, read);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("event: message_start", firstChunk, StringComparison.Ordinal);
            Assert.DoesNotContain("message_stop", firstChunk, StringComparison.Ordinal);
            Assert.Equal(1, upstream.MessagesCalls);
        }
        finally
        {
            // Before the proxy: ends the ten-minute stream, so the proxy does not wait for it when it stops.
            await upstream.DisposeAsync();
        }
    }
}
