using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ClaudeCache.Anthropic;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using ClaudeCache.Pipeline;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary>
/// A caller that finds the identical call with its whole answer in — the first caller may have it all — but not yet
/// stored: it does not share the ended call, it is a plain hit once the answer is stored, and no second call is made.
/// </summary>
public sealed class AnsweredFlightTests
{
    private static readonly RequestHeaders Headers = new("sk-ant-answered", null, "2023-06-01", null, null, null, null, null);

    private const string Message =
        """{"model":"claude-sonnet-4-5-20250929","id":"msg_01Answered","type":"message","role":"assistant","content":[{"type":"text","text":"Yes."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":2}}""";

    private const string Stream =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5-20250929\",\"id\":\"msg_01Answered\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n\n" +
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Yes.\"}}\n\n" +
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":2}}\n\n" +
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CallerArrivingAfterTheWholeAnswer_IsAPlainHitOnceStored_NotAShareOfTheCall(bool stream)
    {
        await using var test = await TestEngine.StartAsync();
        var ct = TestContext.Current.CancellationToken;
        var end = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = Encoding.UTF8.GetBytes(stream ? Stream : Message);
        var calls = 0;
        UpstreamSend send = _ =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromResult(Answer(answer, stream, end.Task));
        };
        var body = Encoding.UTF8.GetBytes($$"""{"model":"claude-sonnet-4-5","max_tokens":64,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Is escrow refundable?"}]}""");
        CacheRequest Request() => new("/v1/messages", RequestEndpoint.Messages, body.AsMemory(), Headers, _ => send);

        // The first caller reads every byte of the answer; the upstream's end, and so the store, is held.
        using var first = await test.Engine.HandleAsync(Request(), ct);
        var flight = first.Flight!;
        var position = 0;
        while (position < answer.Length)
        {
            position += (await flight.Body.ReadAsync(position, ct)).Data.Length;
        }

        var repeat = test.Engine.HandleAsync(Request(), ct).AsTask();
        Assert.True(SpinWait.SpinUntil(() => flight.Followers == 1, TimeSpan.FromSeconds(10)), "the repeat never found the call");
        Assert.False(repeat.IsCompleted, "the repeat shared a call whose answer its client could already have in full");
        end.SetResult();
        using var second = await repeat;

        Assert.Equal(CacheOutcomeKind.Live, first.Kind);
        Assert.Equal(CacheStatus.Miss, first.Status);
        Assert.Equal(CacheOutcomeKind.Stored, second.Kind);
        Assert.Equal(CacheStatus.Hit, second.Status);
        Assert.False(second.Coalesced);
        var headers = second.CacheHeaders(test.Clock.GetUtcNow());
        Assert.Contains(headers, h => h.Key == "age");
        Assert.DoesNotContain(headers, h => h.Key == "x-cache-coalesced");
        Assert.Equal(answer, second.Render().Body.ToArray());
        Assert.Equal(1, calls);
    }

    /// <summary>An upstream answer whose body is all there at once, but whose end arrives only when <paramref name="end"/> completes.</summary>
    private static HttpResponseMessage Answer(byte[] answer, bool stream, Task end)
    {
        var content = new StreamContent(new HeldEndStream(answer, end));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(stream ? StoredAnswer.EventStreamContentType : StoredAnswer.JsonContentType);
        if (!stream)
        {
            content.Headers.ContentLength = answer.Length;
        }

        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    private sealed class HeldEndStream(byte[] answer, Task end) : System.IO.Stream
    {
        private bool _sent;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_sent)
            {
                _sent = true;
                answer.CopyTo(buffer);
                return answer.Length;
            }

            await end.WaitAsync(cancellationToken);
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
