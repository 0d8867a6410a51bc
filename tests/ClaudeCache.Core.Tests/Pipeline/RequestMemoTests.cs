using System.Buffers;
using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.Keys;
using ClaudeCache.Pipeline;
using ClaudeCache.Policy;

namespace ClaudeCache.Tests.Pipeline;

public sealed class RequestMemoTests
{
    private static readonly MemoFacts Facts = new("/v1/messages", RequestEndpoint.Messages, "partition-a", "2023-06-01", null, null, null, null, null, null);

    private static PreparedRequest Prepared(string seed) =>
        new(new CacheKey(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed))),
            default(CachePolicy), RequestEndpoint.Messages, false, "", "claude-sonnet-4-5", "tenant");

    private static ReadOnlySequence<byte> Bytes(string text) => new(System.Text.Encoding.UTF8.GetBytes(text));

    [Fact]
    public void SameFingerprintAndFacts_DifferentBytes_IsNeverAHit()
    {
        // A body crafted to collide with another's fingerprint: the memo compares the bytes, so it gets nothing.
        var memo = new RequestMemo(100, 1 << 20);
        memo.Add(42, Facts, Bytes("{\"a\":1}"), Prepared("victim"));

        Assert.Null(memo.TryGet(42, Facts, Bytes("{\"a\":2}")));
        Assert.Null(memo.TryGet(42, Facts, Bytes("{\"a\":1} ")));
        Assert.Same(memo.TryGet(42, Facts, Bytes("{\"a\":1}")), memo.TryGet(42, Facts, Bytes("{\"a\":1}")));
    }

    [Fact]
    public void SameBytes_DifferentFacts_IsNeverAHit()
    {
        var memo = new RequestMemo(100, 1 << 20);
        memo.Add(7, Facts, Bytes("{}"), Prepared("a"));

        Assert.Null(memo.TryGet(7, Facts with { Partition = "partition-b" }, Bytes("{}")));
        Assert.Null(memo.TryGet(7, Facts with { Namespace = "team-b" }, Bytes("{}")));
        Assert.Null(memo.TryGet(7, Facts with { CacheControl = "no-cache" }, Bytes("{}")));
        Assert.Null(memo.TryGet(7, Facts with { Path = "/v1/messages/count_tokens" }, Bytes("{}")));
        Assert.NotNull(memo.TryGet(7, Facts, Bytes("{}")));
    }

    [Fact]
    public void BodyInManySegments_ComparesEqualToTheSameBytesInOne()
    {
        var memo = new RequestMemo(100, 64L << 20);
        var body = new byte[200_000];
        new Random(5).NextBytes(body);
        memo.Add(BodyFingerprint.Of(new ReadOnlySequence<byte>(body)), Facts, new ReadOnlySequence<byte>(body), Prepared("big"));

        var split = Segments(body, 4_096);
        Assert.Equal(BodyFingerprint.Of(new ReadOnlySequence<byte>(body)), BodyFingerprint.Of(split));
        Assert.NotNull(memo.TryGet(BodyFingerprint.Of(split), Facts, split));
        body[150_000] ^= 1;
        Assert.Null(memo.TryGet(BodyFingerprint.Of(split), Facts, Segments(body, 4_096)));
    }

    [Fact]
    public void EntriesAndBytes_AreBounded_LeastRecentlyUsedOut()
    {
        var memo = new RequestMemo(maxEntries: 3, maxBytes: 1 << 20);
        for (var i = 0; i < 3; i++)
        {
            memo.Add((ulong)i, Facts, Bytes($"body {i}"), Prepared($"p{i}"));
        }

        Assert.NotNull(memo.TryGet(0, Facts, Bytes("body 0"))); // 0 is now the most recent
        memo.Add(3, Facts, Bytes("body 3"), Prepared("p3"));

        Assert.Equal(3, memo.Count);
        Assert.Null(memo.TryGet(1, Facts, Bytes("body 1")));
        Assert.NotNull(memo.TryGet(0, Facts, Bytes("body 0")));

        var bytes = new RequestMemo(maxEntries: 1_000, maxBytes: 1_600);
        for (var i = 0; i < 40; i++)
        {
            bytes.Add((ulong)i, Facts, new ReadOnlySequence<byte>(new byte[100]), Prepared($"b{i}"));
        }

        Assert.True(bytes.Bytes <= 1_600);
        Assert.Equal(16, bytes.Count);
    }

    [Fact]
    public void BodyLargerThanOneSixteenthOfTheBound_IsNotMemoised()
    {
        var memo = new RequestMemo(maxEntries: 100, maxBytes: 16_000);
        memo.Add(1, Facts, new ReadOnlySequence<byte>(new byte[1_001]), Prepared("large"));
        memo.Add(2, Facts, new ReadOnlySequence<byte>(new byte[1_000]), Prepared("fits"));

        Assert.Null(memo.TryGet(1, Facts, new ReadOnlySequence<byte>(new byte[1_001])));
        Assert.NotNull(memo.TryGet(2, Facts, new ReadOnlySequence<byte>(new byte[1_000])));
    }

    [Fact]
    public void ZeroBound_TurnsTheMemoOff()
    {
        var memo = new RequestMemo(maxEntries: 0, maxBytes: 1 << 20);
        memo.Add(1, Facts, Bytes("{}"), Prepared("x"));

        Assert.False(memo.Enabled);
        Assert.Null(memo.TryGet(1, Facts, Bytes("{}")));
        Assert.Equal(0, memo.Count);
    }

    private static ReadOnlySequence<byte> Segments(byte[] data, int size)
    {
        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < data.Length; offset += size)
        {
            var memory = data.AsMemory(offset, Math.Min(size, data.Length - offset)).ToArray();
            var segment = new Segment(memory, offset);
            if (last is null)
            {
                first = segment;
            }
            else
            {
                last.SetNext(segment);
            }

            last = segment;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
