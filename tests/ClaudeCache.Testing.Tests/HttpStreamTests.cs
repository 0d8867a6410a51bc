using System.Text.Json;

namespace ClaudeCache.Testing.Tests;

public sealed class HttpStreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TextStream_HasTheApiEventOrder_PaddingAndExactPing()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = _ => FakeReply.TextReply("The quick brown fox jumps over the lazy dog, twice over.") with { TextChunkSize = 10 };
        using var http = Wire.Client(fake);

        using var response = await http.SendAsync(Wire.Post("v1/messages", Wire.Body("x", stream: true)), Ct);
        string sse = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal("text/event-stream; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("no-cache", response.Headers.CacheControl!.ToString());
        Assert.EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"" , sse.TrimEnd('\n', ' ', '}'), StringComparison.Ordinal);
        Assert.EndsWith("}\n\n", sse, StringComparison.Ordinal);
        Assert.Contains("event: ping\ndata: {\"type\": \"ping\"}\n\n", sse, StringComparison.Ordinal);

        var events = Wire.Events(sse);
        string[] names = [.. events.Select(e => e.Name)];
        Assert.Equal(["message_start", "ping", "content_block_start"], names[..3]);
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], names[^3..]);
        Assert.Equal(6, names.Count(n => n == "content_block_delta"));
        Assert.Contains(events, e => e.Data.EndsWith(" }", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Name != "ping" && !e.Data.Contains(" }", StringComparison.Ordinal));
        foreach (var (name, data) in events)
        {
            using var doc = JsonDocument.Parse(data);
            Assert.Equal(name, doc.RootElement.GetProperty("type").GetString());
            if (data.EndsWith(' '))
            {
                Assert.Fail("padding must sit inside the JSON");
            }
        }

        string text = string.Concat(events.Where(e => e.Name == "content_block_delta")
            .Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("delta").GetProperty("text").GetString()));
        Assert.Equal("The quick brown fox jumps over the lazy dog, twice over.", text);
        Assert.StartsWith(
            """{"type":"message_start","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_01""",
            events[0].Data,
            StringComparison.Ordinal);
        Assert.Contains("\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,", events[0].Data, StringComparison.Ordinal);
        Assert.StartsWith(
            """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":14}""",
            events[^2].Data,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnpaddedStream_EndsEveryDataLineWithTheJsonItself()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = _ => FakeReply.TextReply("hi") with { PadEvents = false, PingEvery = null };
        using var http = Wire.Client(fake);

        using var response = await http.SendAsync(Wire.Post("v1/messages", Wire.Body("x", stream: true)), Ct);
        var events = Wire.Events(await response.Content.ReadAsStringAsync(Ct));

        Assert.DoesNotContain(events, e => e.Name == "ping");
        Assert.All(events, e => Assert.EndsWith("}", e.Data, StringComparison.Ordinal));
        Assert.All(events, e => Assert.DoesNotContain(" }", e.Data, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ToolUseAndThinkingStreams_UseTheirDeltaKinds()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = _ => new FakeReply
        {
            Content =
            [
                FakeBlock.Thinking("Let me weigh the comparables first.", "sig-abc"),
                FakeBlock.RedactedThinking("opaque=="),
                FakeBlock.ToolUse("toolu_01A", "get_comps", """{ "zip": "78704", "radius_miles": 0.5 }"""),
            ],
            StopReason = "tool_use",
            PingEvery = 3,
        };
        using var http = Wire.Client(fake);

        using var response = await http.SendAsync(Wire.Post("v1/messages", Wire.Body("x", stream: true)), Ct);
        var events = Wire.Events(await response.Content.ReadAsStringAsync(Ct));

        var deltas = events.Where(e => e.Name == "content_block_delta")
            .Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("delta")).ToList();
        var thinking = deltas.Where(d => d.GetProperty("type").GetString() == "thinking_delta").ToList();
        Assert.Equal("Let me weigh the comparables first.", string.Concat(thinking.Select(d => d.GetProperty("thinking").GetString())));
        var json = deltas.Where(d => d.GetProperty("type").GetString() == "input_json_delta").Select(d => d.GetProperty("partial_json").GetString()).ToList();
        Assert.Equal(string.Empty, json[0]);
        Assert.Equal("""{"zip":"78704","radius_miles":0.5}""", string.Concat(json));
        Assert.Single(deltas, d => d.GetProperty("type").GetString() == "signature_delta");
        Assert.True(events.Count(e => e.Name == "ping") >= 3);
        Assert.Contains(events, e => e.Data.StartsWith("""{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}""", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Data.StartsWith("""{"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"opaque=="}""", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Data.StartsWith("""{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01A","name":"get_comps","input":{}}""", StringComparison.Ordinal));

        int signature = events.FindIndex(e => e.Data.Contains("signature_delta", StringComparison.Ordinal));
        Assert.Equal("content_block_stop", events.Skip(signature + 1).First(e => e.Name != "ping").Name);
    }

    [Fact]
    public async Task MidStreamError_SendsErrorEvent_WithoutMessageStop()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = r => DefaultResponder.Reply(r) with { MidStreamErrorAfterEvents = 4 };
        using var http = Wire.Client(fake);

        using var response = await http.SendAsync(Wire.Post("v1/messages", Wire.Body("x", stream: true)), Ct);
        string sse = await response.Content.ReadAsStringAsync(Ct);

        var events = Wire.Events(sse);
        Assert.Equal(5, events.Count);
        Assert.Equal("error", events[^1].Name);
        string requestId = response.Headers.GetValues("request-id").Single();
        Assert.Equal($$"""{"type":"error","error":{"details":null,"type":"overloaded_error","message":"Overloaded"},"request_id":"{{requestId}}"}""", events[^1].Data);
        Assert.DoesNotContain("message_stop", sse, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AbruptClose_FailsTheRead()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = r => DefaultResponder.Reply(r) with { AbruptCloseAfterEvents = 3 };
        using var http = Wire.Client(fake);

        using var response = await http.SendAsync(Wire.Post("v1/messages", Wire.Body("x", stream: true)), HttpCompletionOption.ResponseHeadersRead, Ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        var lines = new List<string>();

        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await reader.ReadLineAsync(Ct) is string line)
            {
                lines.Add(line);
            }
        });
        Assert.Equal("event: message_start", lines[0]);
        Assert.DoesNotContain("event: message_stop", lines);
    }

    [Fact]
    public async Task EventInterval_SpacesEventsOut_AndEachIsFlushed()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.Responder = _ => FakeReply.TextReply("one two three") with { EventInterval = TimeSpan.FromMinutes(10), TextChunkSize = 100 };
        using var http = Wire.Client(fake);
        using var noHang = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        noHang.CancelAfter(TimeSpan.FromSeconds(30));

        using var response = await http.SendAsync(Wire.Post("v1/messages", Wire.Body("x", stream: true)), HttpCompletionOption.ResponseHeadersRead, noHang.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(noHang.Token));

        // The first event arrives whole (flushed on its own) although the next one is ten minutes away.
        Assert.Equal("event: message_start", await reader.ReadLineAsync(noHang.Token));
        Assert.StartsWith("data: {\"type\":\"message_start\"", await reader.ReadLineAsync(noHang.Token), StringComparison.Ordinal);
        Assert.Equal("", await reader.ReadLineAsync(noHang.Token));

        // The next event is held back by the interval: only cancelling ends the wait for it.
        using var next = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var second = reader.ReadLineAsync(next.Token).AsTask();
        next.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
    }
}
