using System.Security.Cryptography;
using System.Text;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Policy;
using ClaudeCache.Testing;

namespace ClaudeCache.Tests.Shared;

/// <summary>
/// The answer corpus as stored entries, for the dictionary-training tests of every store (linked into the Core,
/// SQLite and Redis test projects). Every fifth answer is held out: never stored before training, never trained on.
/// </summary>
internal static class CorpusEntries
{
    /// <summary>The answers a test stores to make a cache train (60 of 75).</summary>
    public static readonly CorpusAnswer[] Stored = [.. AnswerCorpus.All.Where((_, i) => i % 5 != 4)];

    /// <summary>The answers no training has seen (15 of 75).</summary>
    public static readonly CorpusAnswer[] HeldOut = [.. AnswerCorpus.All.Where((_, i) => i % 5 == 4)];

    /// <summary>Options that make a cache train once it has stored <see cref="Stored"/>.</summary>
    public static ResponseCacheOptions TrainAfterStored() => new() { DictionaryTrainingEntries = Stored.Length };

    public static CacheKey Key(string name) => new(SHA256.HashData(Encoding.UTF8.GetBytes(name)));

    /// <summary>The answer as a stored Message, valid for six hours from <paramref name="now"/>.</summary>
    public static CachedResponse Entry(CorpusAnswer answer, DateTimeOffset now) => new()
    {
        Kind = ResponseKind.Message,
        CreatedAt = now,
        ExpiresAt = now.AddHours(6),
        Strategy = CacheStrategy.Standard,
        Model = FakeReply.DefaultModel,
        ContextType = answer.Category.Replace('-', '_'),
        Body = AnswerCorpus.MessageJson(answer),
    };

    /// <summary>Stores the answers (keyed by name), then waits for the second tier and any training round.</summary>
    public static async Task StoreAllAsync(ResponseCache cache, IEnumerable<CorpusAnswer> answers, DateTimeOffset now)
    {
        foreach (var answer in answers)
        {
            cache.Set(Key(answer.Name), Entry(answer, now));
        }

        await cache.FlushAsync();
        await cache.WhenDictionariesIdleAsync();
    }
}
