using System.Globalization;
using ClaudeCache.Anthropic;
using ClaudeCache.Entries;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>
/// Step 6: writes a stored answer in the form the caller asked for — the recorded stream replayed event by event
/// (byte-identical, one flush per event), the Message as JSON, or a stream synthesised from stored JSON.
/// </summary>
internal static class ResponseRenderer
{
    public static async Task WriteAsync(HttpContext context, CachedResponse entry, bool wantsStream, DateTimeOffset now)
    {
        var response = context.Response;
        var cancellationToken = context.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers[ProxyHeaders.RequestId] = RequestIds.New();
        var age = Math.Max(0, (long)(now - entry.CreatedAt).TotalSeconds);
        response.Headers.Age = age.ToString(CultureInfo.InvariantCulture);

        if (!wantsStream || entry.Kind != ResponseKind.Message)
        {
            response.ContentType = "application/json";
            response.ContentLength = entry.Body.Length;
            await response.Body.WriteAsync(entry.Body, cancellationToken).ConfigureAwait(false);
            return;
        }

        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        var sse = entry.HasStream ? entry.RawSse : StreamSynthesizer.Synthesize(entry.Body.Span);
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        foreach (var sseEvent in SseEventParser.ParseAll(sse))
        {
            await response.Body.WriteAsync(sse.Slice(sseEvent.RawStart, sseEvent.RawLength), cancellationToken).ConfigureAwait(false);
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
