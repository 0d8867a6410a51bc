using System.Globalization;
using System.Text.Json;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// The proxy trains a zstd dictionary on its own stored answers (decision 0007), reports it in /admin/stats, and
/// entries compressed with it are hits after a restart.
/// </summary>
public sealed class DictionaryTrainingTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string?> TrainAfter60 = new()
    {
        ["ClaudeCache:Cache:DictionaryTrainingEntries"] = "60",
    };

    [Fact]
    public async Task ProxyTrainsOnItsAnswers_ReportsIt_AndServesItsEntriesAfterARestart()
    {
        var database = TempFiles.NewDatabasePath();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        upstream.Responder = AnswerCorpus.RoundRobin();

        var first = await ProxyHost.StartAsync(upstream, database, TrainAfter60);
        using (var admin = first.CreateAdminClient())
        {
            Assert.Null(await TrainedAtAsync(admin));
        }

        for (var i = 0; i < 60; i++)
        {
            await Requests.SendAsync(first.Client, Requests.Body($"Question {i}: analyse listing {i} Elm Street"));
        }

        await first.SettleAsync();
        await first.Cache.WhenDictionariesIdleAsync();
        Assert.False(first.Cache.Dictionaries.Active.IsShipped);

        // Answers the dictionary never saw (the corpus answers after the first 60), stored with it.
        var later = new List<(string Body, byte[] Answer)>();
        for (var i = 60; i < AnswerCorpus.All.Count; i++)
        {
            var body = Requests.Body($"Question {i}: something new");
            var (response, answer) = await Requests.SendAsync(first.Client, body);
            Assert.Equal("MISS", response.Header("x-cache"));
            later.Add((body, answer));
        }

        await first.SettleAsync();
        using (var admin = first.CreateAdminClient())
        {
            using var stats = JsonDocument.Parse(await admin.GetStringAsync("admin/stats?window=1h"));
            var cache = stats.RootElement.GetProperty("cache");
            Assert.Equal(first.Cache.Dictionaries.Active.Id.ToString("x8", CultureInfo.InvariantCulture), cache.GetProperty("dictionaryId").GetString());
            Assert.NotNull(await TrainedAtAsync(admin));
            output.WriteLine($"compression ratio over all {AnswerCorpus.All.Count} entries: {cache.GetProperty("compressionRatio").GetDouble():F2}x");
        }

        var trainedId = first.Cache.Dictionaries.Active.Id;
        await first.StopKeepingUpstreamAsync();

        await using var second = await ProxyHost.StartAsync(upstream, database, TrainAfter60);
        var calls = upstream.MessagesCalls;
        foreach (var (body, answer) in later)
        {
            var (hit, replayed) = await Requests.SendAsync(second.Client, body);
            Assert.Equal("HIT", hit.Header("x-cache"));
            Assert.Equal(answer, replayed);
        }

        Assert.Equal(calls, upstream.MessagesCalls);
        Assert.Equal(trainedId, second.Cache.Dictionaries.Active.Id);
    }

    private static async Task<string?> TrainedAtAsync(HttpClient admin)
    {
        using var stats = JsonDocument.Parse(await admin.GetStringAsync("admin/stats?window=1h"));
        var trained = stats.RootElement.GetProperty("cache").GetProperty("dictionaryTrainedAt");
        return trained.ValueKind == JsonValueKind.Null ? null : trained.GetString();
    }
}
