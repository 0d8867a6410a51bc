using ClaudeCache.Anthropic;
using ClaudeCache.Entries;

namespace ClaudeCache.Pipeline;

/// <summary>
/// Step 6, once for every front end: a stored answer in the form the caller asked for — the recorded stream (replayed
/// byte for byte), the Message as JSON, or a stream synthesised from stored JSON — with the upstream headers it was
/// stored with.
/// </summary>
/// <param name="ContentType">The response's content type.</param>
/// <param name="IsStream">True for <c>text/event-stream</c> (send <c>cache-control: no-cache</c>, flush per event).</param>
/// <param name="Body">The whole body.</param>
/// <param name="Headers">The upstream headers the answer came with and a hit carries too (<see cref="StoredResponseHeaders"/>).</param>
public readonly record struct StoredAnswer(string ContentType, bool IsStream, ReadOnlyMemory<byte> Body, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>The JSON content type.</summary>
    public const string JsonContentType = "application/json";

    /// <summary>The SSE content type, as Anthropic sends it.</summary>
    public const string EventStreamContentType = "text/event-stream; charset=utf-8";

    /// <summary>Renders <paramref name="entry"/> for a caller that does (or does not) want a stream.</summary>
    public static StoredAnswer Render(CachedResponse entry, bool wantsStream)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!wantsStream || entry.Kind != ResponseKind.Message)
        {
            return new StoredAnswer(JsonContentType, IsStream: false, entry.Body, entry.Headers);
        }

        var sse = entry.HasStream ? entry.RawSse : StreamSynthesizer.Synthesize(entry.Body.Span);
        return new StoredAnswer(EventStreamContentType, IsStream: true, sse, entry.Headers);
    }

    /// <summary>The stream's events, each with its own bytes (write and flush one at a time, as the API does).</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Events()
    {
        var body = Body;
        foreach (var sseEvent in SseEventParser.ParseAll(body))
        {
            yield return body.Slice(sseEvent.RawStart, sseEvent.RawLength);
        }
    }
}
