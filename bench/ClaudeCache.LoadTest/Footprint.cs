using System.Net.Http.Headers;
using System.Text.Json;
using ClaudeCache.Bench;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Telemetry;
using ClaudeCache.Testing;

namespace ClaudeCache.LoadTest;

/// <summary>
/// Memory held by the memory tier per 1,000 cached answers: the tier's own byte estimate
/// (<see cref="MemoryTier.Bytes"/>) and the managed-heap growth (<see cref="GC.GetTotalMemory(bool)"/>) after
/// storing 1,000 realistic entries captured from the fake upstream.
/// </summary>
internal static class Footprint
{
    public sealed record Result(string Workload, int Entries, long RawBytes, long TierBytes, long HeapBytes, long HeapAfterHitsBytes);

    public static async Task<IReadOnlyList<Result>> MeasureAsync(FakeAnthropicUpstream upstream, HttpClient client)
    {
        var original = upstream.Responder;
        try
        {
            // 1. The real-estate workload mix (1,000 unique requests; coaching answers are streams).
            var workload = new List<CachedResponse>();
            foreach (var item in RealEstateWorkload.Generate(1_000, repeatRatio: 0, seed: 11))
            {
                var json = await PostAsync(client, upstream.BaseAddress, WithStream(item.BodyBytes, stream: false));
                var sse = item.IsStreaming ? await PostAsync(client, upstream.BaseAddress, item.BodyBytes) : null;
                workload.Add(Samples.Entry(json, sse, DateTimeOffset.UtcNow));
            }

            // 2. Long answers: the ~3 KB Message plus its SSE stream for every entry (a heavy case).
            upstream.Responder = _ => Samples.LongReply();
            var longAnswers = new List<CachedResponse>();
            var body = RealEstateWorkload.MessagesRequestBody(RealEstateWorkload.Model, "Analyse 12 Oak Street");
            for (var i = 0; i < 1_000; i++)
            {
                var json = await PostAsync(client, upstream.BaseAddress, body);
                var sse = await PostAsync(client, upstream.BaseAddress, WithStream(body, stream: true));
                longAnswers.Add(Samples.Entry(json, sse, DateTimeOffset.UtcNow));
            }

            return [Measure("workload mix (DefaultResponder)", workload), Measure("~3 KB Message + SSE stream", longAnswers)];
        }
        finally
        {
            upstream.Responder = original;
        }
    }

    private static Result Measure(string name, List<CachedResponse> entries)
    {
        var raw = entries.Sum(e => (long)e.Body.Length + e.RawSse.Length);
        var keys = entries.Select((_, i) => new CacheKey(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)))).ToArray();
        var cache = new ResponseCache(new ResponseCacheOptions(), secondTier: null, TimeProvider.System, new ClaudeCacheMetrics());
        cache.Set(new CacheKey(System.Security.Cryptography.SHA256.HashData("warm"u8)), entries[0]); // JIT and pools first
        cache.Memory.Clear();

        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < entries.Count; i++)
        {
            cache.Set(keys[i], entries[i]);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);

        // Every entry hit twice: the decoded-entry memo (bounded in bytes) keeps the hottest ones decoded.
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < entries.Count; i++)
            {
                _ = cache.GetAsync(keys[i], CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
        }

        var afterHits = GC.GetTotalMemory(forceFullCollection: true);
        var result = new Result(name, cache.Memory.Count, raw, cache.Memory.Bytes, after - before, afterHits - before);
        GC.KeepAlive(cache);
        GC.KeepAlive(entries);
        cache.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return result;
    }

    private static byte[] WithStream(byte[] body, bool stream)
    {
        using var document = JsonDocument.Parse(body);
        using var output = new MemoryStream();
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name != "stream")
                {
                    property.WriteTo(writer);
                }
            }

            if (stream)
            {
                writer.WriteBoolean("stream", true);
            }

            writer.WriteEndObject();
        }

        return output.ToArray();
    }

    private static async Task<byte[]> PostAsync(HttpClient client, Uri baseAddress, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, "v1/messages")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("x-api-key", "sk-ant-load-test");
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }
}
