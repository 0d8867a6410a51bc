using System.Net;
using System.Net.Http.Headers;
using ClaudeCache.Anthropic;
using ClaudeCache.Entries;

namespace ClaudeCache.Extensions.AI.Http;

/// <summary>
/// Step 6 as an <see cref="HttpResponseMessage"/>, as the proxy renders it: the recorded stream byte for byte, the
/// Message as JSON with its length, or a stream synthesised from stored JSON.
/// </summary>
internal static class HitResponses
{
    public static HttpResponseMessage Create(HttpRequestMessage request, CachedResponse entry, bool wantsStream, DateTimeOffset now)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request };
        response.Headers.TryAddWithoutValidation("request-id", RequestIds.New());
        response.Headers.Age = TimeSpan.FromSeconds(Math.Max(0, (long)(now - entry.CreatedAt).TotalSeconds));

        if (!wantsStream || entry.Kind != ResponseKind.Message)
        {
            // ReadOnlyMemoryContent reports its length, so the SDK sees a content-length as from the proxy.
            response.Content = new ReadOnlyMemoryContent(entry.Body);
            response.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return response;
        }

        var sse = entry.HasStream ? entry.RawSse : StreamSynthesizer.Synthesize(entry.Body.Span);
        response.Content = new ReadOnlyMemoryContent(sse);
        response.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/event-stream; charset=utf-8");
        response.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        return response;
    }
}
