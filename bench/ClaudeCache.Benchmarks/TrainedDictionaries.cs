using System.Net.Http.Headers;
using ClaudeCache.Bench;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Telemetry;
using ClaudeCache.Testing;

namespace ClaudeCache.Benchmarks;

/// <summary>
/// Dictionaries trained the way a store trains its own (a <see cref="ResponseCache"/> storing entries until its
/// trainer adopts one), on answers of <see cref="AnswerCorpus"/>, and the corpus answers as stored entries.
/// </summary>
internal static class TrainedDictionaries
{
    private static readonly Lazy<(byte[] Json, byte[] Sse)[]> s_captured = new(() => CaptureAsync().GetAwaiter().GetResult());

    private static readonly Lazy<EntryDictionary> s_trainedOnCorpus = new(() => Train(
        [.. Enumerable.Range(0, AnswerCorpus.All.Count).Select(i => Entry(i, withStream: false))]));

    /// <summary>A dictionary trained on all 75 corpus Messages (the benchmark's own sample is not among them).</summary>
    public static EntryDictionary TrainedOnCorpus => s_trainedOnCorpus.Value;

    /// <summary>Corpus answer <paramref name="index"/> as a stored entry: the Message, and the stream it came in.</summary>
    public static CachedResponse Entry(int index, bool withStream)
    {
        var (json, sse) = s_captured.Value[index];
        return Samples.Entry(json, withStream ? sse : null, SampleEntries.CreatedAt) with { ExpiresAt = DateTimeOffset.UtcNow.AddDays(30) };
    }

    /// <summary>What a cache trains on <paramref name="entries"/>: the product's trainer, not a shortcut.</summary>
    public static EntryDictionary Train(IReadOnlyList<CachedResponse> entries)
    {
        var options = new ResponseCacheOptions { DictionaryTrainingEntries = entries.Count };
        var cache = new ResponseCache(options, null, TimeProvider.System, new ClaudeCacheMetrics());
        try
        {
            for (var i = 0; i < entries.Count; i++)
            {
                cache.Set(new Keys.CacheKey(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))), entries[i]);
            }

            cache.WhenDictionariesIdleAsync().GetAwaiter().GetResult();
            return cache.Dictionaries.Active.IsShipped
                ? throw new InvalidOperationException("The trainer kept the shipped dictionary.")
                : cache.Dictionaries.Active;
        }
        finally
        {
            cache.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Each corpus answer once as JSON and once as a stream, from the fake upstream.</summary>
    private static async Task<(byte[] Json, byte[] Sse)[]> CaptureAsync()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync();
        using var client = new HttpClient { BaseAddress = fake.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-ant-bench");
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        var captured = new (byte[], byte[])[AnswerCorpus.All.Count];
        for (var i = 0; i < captured.Length; i++)
        {
            var answer = AnswerCorpus.All[i];
            fake.Responder = _ => AnswerCorpus.Reply(answer);
            captured[i] = (await PostAsync(client, stream: false), await PostAsync(client, stream: true));
        }

        return captured;
    }

    private static async Task<byte[]> PostAsync(HttpClient client, bool stream)
    {
        using var content = new ByteArrayContent(RealEstateWorkload.MessagesRequestBody(RealEstateWorkload.Model, "Corpus question", stream));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(new Uri("v1/messages", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }
}
