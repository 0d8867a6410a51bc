using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeCache.PromptCaching;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using ClaudeCache.Testing.Redis;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Proxy.Tests;

/// <summary>Cold-prefix coalescing across proxy instances that share one real Redis (issue 11, item 4).</summary>
public sealed class DistributedPromptCachingTests
{
    private static readonly string Document = string.Concat(Enumerable.Repeat("The buyer pays the transfer tax unless the seller agrees otherwise. ", 150));

    private static Dictionary<string, string?> RedisSettings(string configuration, string prefix, bool shareLease) => new()
    {
        ["ClaudeCache:Storage:Provider"] = "redis",
        ["ClaudeCache:Storage:Redis:Configuration"] = configuration,
        ["ClaudeCache:Storage:Redis:KeyPrefix"] = prefix,
        ["ClaudeCache:Storage:Redis:Lock"] = shareLease ? "true" : "false",
        // Loopback on a busy 2-core machine: allow more than the production default of 50 ms.
        ["ClaudeCache:Storage:Redis:OperationTimeout"] = "00:00:00.500",
        ["ClaudeCache:PromptCaching:MaxColdPrefixWait"] = "00:00:10",
    };

    private static string Question(int i) => new JsonObject
    {
        ["model"] = "claude-sonnet-4-5",
        ["max_tokens"] = 256,
        ["messages"] = new JsonArray(new JsonObject
        {
            ["role"] = "user",
            ["content"] = new JsonArray(
                new JsonObject { ["type"] = "text", ["text"] = Document },
                new JsonObject { ["type"] = "text", ["text"] = $"Question {i}: who pays what?" }),
        }),
    }.ToJsonString();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EightQuestionsOnAColdDocument_OverTwoInstances_OneWritesIt_SevenRead(bool shareLease)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var settings = RedisSettings(redis.EndPoint, "t" + Guid.NewGuid().ToString("N")[..8] + ":", shareLease);
        await using var a = await ProxyHost.StartAsync(upstream, settings: settings);
        await using var b = await ProxyHost.StartAsync(upstream, settings: settings);
        var plannerA = a.Services.GetRequiredService<PromptCachePlanner>();
        var plannerB = b.Services.GetRequiredService<PromptCachePlanner>();
        BurstGate.HoldUntilAllArrive(upstream, 8, () => plannerA.Waiting + plannerB.Waiting);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            var (response, text) = await Requests.SendAsync((i % 2 == 0 ? a : b).Client, Question(i));
            using var json = JsonDocument.Parse(text);
            var usage = json.RootElement.GetProperty("usage");
            return (Instance: i % 2, Wait: response.Headers.Contains("x-cache-prompt-wait"),
                Written: usage.GetProperty("cache_creation_input_tokens").GetInt32(),
                Read: usage.GetProperty("cache_read_input_tokens").GetInt32());
        }));

        Assert.Equal(8, upstream.MessagesCalls);
        if (shareLease)
        {
            // One write in all: the other instance's first call waited for it through Redis, then read.
            Assert.Equal(1, answers.Count(x => x.Written > 0));
            Assert.Equal(7, answers.Count(x => x.Read > 0 && x.Written == 0));
            Assert.Equal(7, answers.Count(x => x.Wait));
            Assert.Equal(7, plannerA.ColdPrefixWaits + plannerB.ColdPrefixWaits);
        }
        else
        {
            // Without the shared lease each instance coalesces only its own calls: one write per instance.
            Assert.Equal(2, answers.Count(x => x.Written > 0));
            Assert.Equal(1, answers.Count(x => x.Instance == 0 && x.Written > 0));
            Assert.Equal(1, answers.Count(x => x.Instance == 1 && x.Written > 0));
            Assert.Equal(6, plannerA.ColdPrefixWaits + plannerB.ColdPrefixWaits);
        }
    }

    [Fact]
    public async Task RedisDown_TheCallWritesThePrefixItself_AndAnswers()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        // Nothing listens there: every lease attempt fails, and the call goes on alone.
        var settings = RedisSettings("127.0.0.1:1,connectTimeout=200", "down:", shareLease: true);
        await using var proxy = await ProxyHost.StartAsync(upstream, settings: settings);
        var planner = proxy.Services.GetRequiredService<PromptCachePlanner>();

        var (response, text) = await Requests.SendAsync(proxy.Client, Question(0));

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(text);
        Assert.True(json.RootElement.GetProperty("usage").GetProperty("cache_creation_input_tokens").GetInt32() > 0);
        Assert.Equal(0, planner.ColdPrefixWaits);
        Assert.Equal(1, upstream.MessagesCalls);
    }
}
