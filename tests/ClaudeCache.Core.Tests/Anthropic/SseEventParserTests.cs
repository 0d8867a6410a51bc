using System.Text;
using ClaudeCache.Anthropic;
using static ClaudeCache.Tests.Anthropic.SseFixtures;

namespace ClaudeCache.Tests.Anthropic;

public sealed class SseEventParserTests
{
    [Fact]
    public void ParseAll_TextStream_ReturnsEveryEventInOrder()
    {
        IReadOnlyList<SseEvent> events = SseEventParser.ParseAll(Bytes(Text), out int trailing);

        Assert.Equal(
            ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
             "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Name));
        Assert.Equal(0, trailing);
    }

    [Fact]
    public void ParseAll_KnownNames_AreTheSharedConstants()
    {
        IReadOnlyList<SseEvent> events = SseEventParser.ParseAll(Bytes(Text));

        Assert.Same(SseEventNames.MessageStart, events[0].Name);
        Assert.Same(SseEventNames.Ping, events[2].Name);
    }

    [Fact]
    public void ParseAll_PaddedDataLine_KeepsThePaddingInData()
    {
        IReadOnlyList<SseEvent> events = SseEventParser.ParseAll(Bytes(Text));

        Assert.Equal("""{"type":"content_block_stop","index":0             }""", Encoding.UTF8.GetString(events[5].Data.Span));
    }

    [Fact]
    public void ParseAll_Ping_DataIsTheExactSpacedBytes()
    {
        IReadOnlyList<SseEvent> events = SseEventParser.ParseAll(Bytes(Text));

        Assert.Equal("{\"type\": \"ping\"}", Encoding.UTF8.GetString(events[2].Data.Span));
    }

    [Theory]
    [InlineData(nameof(Text))]
    [InlineData(nameof(ToolUse))]
    [InlineData(nameof(Thinking))]
    [InlineData(nameof(MidStreamError))]
    public void ParseAll_EventRanges_ReplayTheStreamByteForByte(string fixture)
    {
        byte[] raw = Bytes(Fixture(fixture));
        IReadOnlyList<SseEvent> events = SseEventParser.ParseAll(raw);

        var replay = new List<byte>();
        int expectedStart = 0;
        foreach (SseEvent e in events)
        {
            Assert.Equal(expectedStart, e.RawStart);
            replay.AddRange(raw.AsSpan(e.RawStart, e.RawLength).ToArray());
            Assert.True(raw.AsSpan(e.RawStart, e.RawLength).EndsWith("\n\n"u8));
            expectedStart = e.RawEnd;
        }

        Assert.Equal(raw, replay.ToArray());
    }

    [Fact]
    public void ParseAll_StreamCutMidEvent_ReportsTrailingBytes()
    {
        byte[] raw = Bytes(Cut);
        IReadOnlyList<SseEvent> events = SseEventParser.ParseAll(raw, out int trailing);

        Assert.Equal(3, events.Count);
        Assert.Equal("event: content_block_delta\ndata: {\"type\":\"content_block_de".Length, trailing);
        Assert.Equal(raw.Length, events[^1].RawEnd + trailing);
    }

    [Fact]
    public void ParseAll_CrLfLineEndings_AreTolerated()
    {
        byte[] raw = Bytes("event: ping\r\ndata: {\"type\": \"ping\"}\r\n\r\nevent: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n");

        IReadOnlyList<SseEvent> events = SseEventParser.ParseAll(raw, out int trailing);

        Assert.Equal(["ping", "message_stop"], events.Select(e => e.Name));
        Assert.Equal("{\"type\":\"message_stop\"}", Encoding.UTF8.GetString(events[1].Data.Span));
        Assert.Equal(0, trailing);
        Assert.Equal(raw.Length, events[1].RawEnd);
    }

    [Fact]
    public void ParseAll_StrayBlankLinesAndComments_FoldIntoTheNextEventsRange()
    {
        byte[] raw = Bytes("\n: keep-alive\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n");

        IReadOnlyList<SseEvent> events = SseEventParser.ParseAll(raw);

        SseEvent ping = Assert.Single(events);
        Assert.Equal("ping", ping.Name);
        Assert.Equal(0, ping.RawStart);
        Assert.Equal(raw.Length, ping.RawLength);
    }

    [Fact]
    public void ParseAll_SeveralDataLines_AreJoinedWithNewline()
    {
        IReadOnlyList<SseEvent> events = SseEventParser.ParseAll(Bytes("event: x\ndata: a\ndata:b\n\n"));

        Assert.Equal("a\nb", Encoding.UTF8.GetString(Assert.Single(events).Data.Span));
    }

    [Fact]
    public void ParseAll_EventWithoutEventLine_HasEmptyName()
    {
        IReadOnlyList<SseEvent> events = SseEventParser.ParseAll(Bytes("data: {}\n\n"));

        Assert.Equal("", Assert.Single(events).Name);
    }

    [Theory]
    [InlineData(nameof(Text))]
    [InlineData(nameof(ToolUse))]
    [InlineData(nameof(Thinking))]
    [InlineData(nameof(Cut))]
    public void Incremental_SplitAtEveryByteBoundary_MatchesParseAll(string fixture)
    {
        byte[] raw = Bytes(Fixture(fixture));
        List<Snapshot> expected = SseEventParser.ParseAll(raw, out int expectedTrailing).Select(Snapshot.Of).ToList();

        for (int split = 0; split <= raw.Length; split++)
        {
            var parser = new SseEventParser(initialCapacity: 16);
            var actual = new List<Snapshot>();
            parser.Append(raw.AsSpan(0, split));
            Drain(parser, actual);
            parser.Append(raw.AsSpan(split));
            Drain(parser, actual);

            Assert.Equal(expected, actual);
            Assert.Equal(expectedTrailing, parser.TrailingBytes);
            Assert.Equal(raw.Length, parser.TotalBytes);
        }
    }

    [Theory]
    [InlineData(nameof(Text))]
    [InlineData(nameof(Citations))]
    [InlineData(nameof(MidStreamError))]
    public void Incremental_ByteByByteAndRandomChunks_MatchParseAll(string fixture)
    {
        byte[] raw = Bytes(Fixture(fixture));
        List<Snapshot> expected = SseEventParser.ParseAll(raw).Select(Snapshot.Of).ToList();
        var random = new Random(42);

        foreach (int maxChunk in new[] { 1, 3, 17, 200 })
        {
            var parser = new SseEventParser(initialCapacity: 8);
            var actual = new List<Snapshot>();
            for (int position = 0; position < raw.Length;)
            {
                int length = Math.Min(raw.Length - position, random.Next(1, maxChunk + 1));
                parser.Append(raw.AsSpan(position, length));
                Drain(parser, actual);
                position += length;
            }

            Assert.Equal(expected, actual);
            Assert.Equal(0, parser.TrailingBytes);
        }
    }

    [Fact]
    public void Incremental_LongDataLineInManySmallChunks_IsReadOnce()
    {
        string text = new('x', 100_000);
        byte[] raw = Bytes(Event("content_block_delta", $$$"""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"{{{text}}}"}}"""));
        var parser = new SseEventParser();
        int read = 0;

        for (int position = 0; position < raw.Length; position += 1000)
        {
            parser.Append(raw.AsSpan(position, Math.Min(1000, raw.Length - position)));
            while (parser.TryRead(out SseEvent e))
            {
                read++;
                Assert.Equal(raw.Length - "event: content_block_delta\ndata: ".Length - 2, e.Data.Length);
            }
        }

        Assert.Equal(1, read);
        Assert.Equal(0, parser.TrailingBytes);
    }

    private static void Drain(SseEventParser parser, List<Snapshot> into)
    {
        while (parser.TryRead(out SseEvent e))
        {
            into.Add(Snapshot.Of(e));
        }
    }

    internal static string Fixture(string name) => name switch
    {
        nameof(Text) => Text,
        nameof(ToolUse) => ToolUse,
        nameof(Thinking) => Thinking,
        nameof(Citations) => Citations,
        nameof(MidStreamError) => MidStreamError,
        nameof(Cut) => Cut,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    // Data is only valid until the next Append, so compare copies.
    private sealed record Snapshot(string Name, string Data, int RawStart, int RawLength)
    {
        public static Snapshot Of(SseEvent e) => new(e.Name, Encoding.UTF8.GetString(e.Data.Span), e.RawStart, e.RawLength);
    }
}
