using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ClaudeCache.Entries;
using ClaudeCache.Policy;

namespace ClaudeCache.Tests.Entries;

/// <summary>
/// Realistic responses for codec tests: a Message in the API's 2025 key order and the SSE stream it came from,
/// with the byte-level habits of real streams (docs/anthropic-wire.md §5): padded <c>data:</c> lines, pings with a space,
/// small text deltas.
/// </summary>
internal static class SampleResponses
{
    internal const string Model = "claude-sonnet-4-5-20250929";
    internal const string MessageId = "msg_01XFDUDYJgAACzvnptvVoYEL";

    internal static readonly DateTimeOffset CreatedAt = new(2025, 11, 3, 14, 25, 7, 123, TimeSpan.Zero);

    internal const string Text =
        "HTTP caching works by letting a client or an intermediary keep a copy of a response and reuse it for later " +
        "requests, instead of asking the origin server again. Three ideas carry most of the weight.\n\n" +
        "**1. Freshness.** A response is fresh for as long as its `Cache-Control: max-age` (or the older `Expires` " +
        "header) allows. While it is fresh, a cache may serve it without contacting the server at all, which is " +
        "where the big latency wins come from. Shared caches such as CDNs also honour `s-maxage`, which overrides " +
        "`max-age` for them only.\n\n" +
        "**2. Validation.** Once a response is stale, the cache does not have to throw it away. It can send a " +
        "conditional request with `If-None-Match` (carrying the `ETag` it stored) or `If-Modified-Since` (carrying " +
        "`Last-Modified`). If nothing changed, the server answers `304 Not Modified` with no body, and the cache " +
        "refreshes the stored copy's freshness. This saves bandwidth even when it does not save a round trip.\n\n" +
        "**3. The cache key.** By default a cache keys responses on the method and the full URL. The `Vary` header " +
        "widens the key with request headers such as `Accept-Encoding` or `Accept-Language`, so that a gzip-encoded " +
        "English page is never served to a client that asked for French. Getting the key wrong is the most common " +
        "way a cache serves one user's content to another, so be deliberate about it.\n\n" +
        "A few practical rules follow from this:\n\n" +
        "- Mark personalised responses `Cache-Control: private` so that shared caches never store them.\n" +
        "- Use `no-store` for anything sensitive; `no-cache` only forces revalidation and still allows storing.\n" +
        "- Fingerprint static assets (for example `app.3f9a2c.js`) and give them a long `max-age` with " +
        "`immutable`, then change the file name when the content changes.\n" +
        "- Prefer strong `ETag`s derived from the content over timestamps, which have one-second resolution.\n" +
        "- Send `Cache-Control: stale-while-revalidate=60` when a slightly old answer is acceptable: the cache " +
        "answers at once and refreshes the copy in the background, so no visitor waits for the origin.\n" +
        "- Watch the hit ratio per route, not only overall; one uncacheable endpoint can hide behind a good average.\n\n" +
        "Finally, remember that POST responses are rarely cached by standard HTTP caches. Caching an API such as a " +
        "language-model endpoint therefore needs an application-level cache that builds its own key from the " +
        "normalised request body and decides its own freshness rules, which is a different problem from the one " +
        "HTTP headers solve.";

    // The API writes UTF-8 as is and escapes only what JSON requires; the default encoder would also escape ' and +.
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal static string MessageJson { get; } = BuildMessageJson();

    internal static string SseStream { get; } = BuildSseStream();

    internal static CachedResponse JsonEntry() => new()
    {
        Kind = ResponseKind.Message,
        CreatedAt = CreatedAt,
        ExpiresAt = CreatedAt.AddHours(24),
        Strategy = CacheStrategy.Aggressive,
        Model = Model,
        ContextType = "documentation",
        Namespace = "docs-bot",
        Body = Encoding.UTF8.GetBytes(MessageJson),
    };

    internal static CachedResponse StreamEntry() => JsonEntry() with { RawSse = Encoding.UTF8.GetBytes(SseStream) };

    private static string Usage(int outputTokens) =>
        "{\"input_tokens\":1432,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":2048," +
        "\"cache_creation\":{\"ephemeral_5m_input_tokens\":0,\"ephemeral_1h_input_tokens\":0}," +
        $"\"output_tokens\":{outputTokens.ToString(CultureInfo.InvariantCulture)},\"service_tier\":\"standard\",\"inference_geo\":\"not_available\"}}";

    private static string BuildMessageJson() =>
        $"{{\"model\":\"{Model}\",\"id\":\"{MessageId}\",\"type\":\"message\",\"role\":\"assistant\"," +
        $"\"content\":[{{\"type\":\"text\",\"text\":{JsonSerializer.Serialize(Text, Relaxed)}}}]," +
        $"\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{Usage(612)}}}";

    private static string BuildSseStream()
    {
        // Fixed seed: the stream, and so the measured ratio, is the same on every run.
        var random = new Random(20251103);
        var sse = new StringBuilder();

        void Event(string name, string json, bool pad = true)
        {
            var padding = pad ? new string(' ', random.Next(0, 48)) : "";
            sse.Append("event: ").Append(name).Append("\ndata: ")
                .Append(json, 0, json.Length - 1).Append(padding).Append("}\n\n");
        }

        Event("message_start",
            $"{{\"type\":\"message_start\",\"message\":{{\"model\":\"{Model}\",\"id\":\"{MessageId}\",\"type\":\"message\"," +
            $"\"role\":\"assistant\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{Usage(2)}}}}}");
        Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
        sse.Append("event: ping\ndata: {\"type\": \"ping\"}\n\n");

        // Real text deltas carry a handful of tokens each: roughly 5 to 60 characters.
        var position = 0;
        var deltas = 0;
        while (position < Text.Length)
        {
            var length = Math.Min(random.Next(5, 60), Text.Length - position);
            var chunk = JsonSerializer.Serialize(Text.Substring(position, length), Relaxed);
            Event("content_block_delta",
                $"{{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":{chunk}}}}}");
            position += length;
            if (++deltas % 25 == 0)
            {
                sse.Append("event: ping\ndata: {\"type\": \"ping\"}\n\n");
            }
        }

        Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
        Event("message_delta",
            $"{{\"type\":\"message_delta\",\"delta\":{{\"stop_reason\":\"end_turn\",\"stop_sequence\":null}},\"usage\":{Usage(612)}}}");
        Event("message_stop", "{\"type\":\"message_stop\"}", pad: false);
        return sse.ToString();
    }
}
