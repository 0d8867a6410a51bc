using System.Net;
using System.Text.Json;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;

namespace ClaudeCache.Proxy.Tests;

/// <summary>Tags on entries and <c>DELETE /admin/cache?filters</c> through the proxy on SQLite (docs/invalidation.md).</summary>
public sealed class PurgeTests
{
    private static async Task<string> SendAsync(HttpClient client, string prompt, params (string Name, string Value)[] headers)
    {
        var (response, _) = await Requests.SendAsync(client, Requests.Body(prompt), headers);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Header("x-cache");
    }

    [Fact]
    public async Task APurgeByTag_RemovesTheTaggedEntriesOnly_AndTheNextRequestIsAMiss()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await SendAsync(proxy.Client, "Analyse 12 Oak Street", ("x-cache-tags", "listing-42, batch:2026-11"));
        await SendAsync(proxy.Client, "Analyse 14 Oak Street", ("x-cache-tags", "listing-42"));
        await SendAsync(proxy.Client, "Analyse 16 Oak Street", ("x-cache-tags", "listing-43"));
        await SendAsync(proxy.Client, "Explain a cap rate");
        await proxy.SettleAsync();

        Assert.Equal(2, await Purges.MatchedAsync(proxy, "tag=listing-42"));

        Assert.Equal("MISS", await SendAsync(proxy.Client, "Analyse 12 Oak Street"));
        Assert.Equal("MISS", await SendAsync(proxy.Client, "Analyse 14 Oak Street"));
        Assert.Equal("HIT", await SendAsync(proxy.Client, "Analyse 16 Oak Street"));
        Assert.Equal("HIT", await SendAsync(proxy.Client, "Explain a cap rate"));
        Assert.Equal(0, await Purges.MatchedAsync(proxy, "tag=listing-42"));
    }

    [Fact]
    public async Task Tags_AreNotPartOfTheKey_AndAreNeverForwarded()
    {
        await using var proxy = await ProxyHost.StartAsync();

        Assert.Equal("MISS", await SendAsync(proxy.Client, "Analyse 12 Oak Street", ("x-cache-tags", "a")));
        await proxy.SettleAsync();
        Assert.Equal("HIT", await SendAsync(proxy.Client, "Analyse 12 Oak Street", ("x-cache-tags", "b")));

        var received = Assert.Single(proxy.Upstream.Received);
        Assert.Null(received.Header("x-cache-tags"));
    }

    [Fact]
    public async Task ADryRun_CountsWithoutRemoving()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await SendAsync(proxy.Client, "Analyse 12 Oak Street", ("x-cache-tags", "listing-42"));
        await SendAsync(proxy.Client, "Analyse 14 Oak Street", ("x-cache-tags", "listing-42"));
        await proxy.SettleAsync();

        var (status, body) = await Purges.PurgeAsync(proxy, "tag=listing-42&dryRun=true");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, body.GetProperty("matched").GetInt64());
        Assert.Equal(0, body.GetProperty("removed").GetInt64());
        Assert.Equal("HIT", await SendAsync(proxy.Client, "Analyse 12 Oak Street"));
        Assert.Equal(2, await Purges.MatchedAsync(proxy, "tag=listing-42"));
    }

    [Fact]
    public async Task Filters_Combine_WithAnd()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await SendAsync(proxy.Client, "Analyse 12 Oak Street", ("x-cache-context", "property_analysis"), ("x-cache-namespace", "team-a"));
        await SendAsync(proxy.Client, "Analyse 14 Oak Street", ("x-cache-context", "property_analysis"));
        var (haiku, _) = await Requests.SendAsync(proxy.Client, Requests.Body("Analyse 16 Oak Street", model: "claude-haiku-4-5"), ("x-cache-context", "property_analysis"));
        haiku.EnsureSuccessStatusCode();
        await SendAsync(proxy.Client, "Explain a cap rate", ("x-cache-strategy", "aggressive"));
        await proxy.SettleAsync();
        proxy.Clock.Advance(TimeSpan.FromMinutes(45));
        await SendAsync(proxy.Client, "Explain a gross rent multiplier", ("x-cache-strategy", "aggressive"));
        await proxy.SettleAsync();

        Assert.Equal(3, await Purges.MatchedAsync(proxy, "context=property_analysis&dryRun=true"));
        Assert.Equal(2, await Purges.MatchedAsync(proxy, "context=property_analysis&model=claude-sonnet-4-5&dryRun=true"));
        Assert.Equal(1, await Purges.MatchedAsync(proxy, "context=property_analysis&namespace=team-a&dryRun=true"));
        Assert.Equal(2, await Purges.MatchedAsync(proxy, "strategy=aggressive&dryRun=true"));
        Assert.Equal(1, await Purges.MatchedAsync(proxy, "strategy=aggressive&olderThan=30m&dryRun=true"));
        Assert.Equal(4, await Purges.MatchedAsync(proxy, "olderThan=30m&dryRun=true"));
        Assert.Equal(0, await Purges.MatchedAsync(proxy, "model=claude-haiku-4-5&namespace=team-a"));

        Assert.Equal(1, await Purges.MatchedAsync(proxy, "strategy=aggressive&olderThan=30m"));
        Assert.Equal("MISS", await SendAsync(proxy.Client, "Explain a cap rate", ("x-cache-strategy", "aggressive")));
        Assert.Equal("HIT", await SendAsync(proxy.Client, "Explain a gross rent multiplier", ("x-cache-strategy", "aggressive")));
    }

    [Fact]
    public async Task ATenantsEntries_ArePurgedByItsTenantTag_AndTheAnswerHoldsCountsNotKeys()
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var other = proxy.CreateClient("sk-ant-test-key-2");
        await SendAsync(proxy.Client, "Analyse 12 Oak Street");
        await SendAsync(proxy.Client, "Explain a cap rate");
        await SendAsync(other, "Analyse 12 Oak Street");
        await proxy.SettleAsync();

        var (status, body) = await Purges.PurgeAsync(proxy, "tenant=" + Purges.TenantTag("sk-ant-test-key-1"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["matched", "removed", "dryRun"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, body.GetProperty("removed").GetInt64());
        Assert.Equal("MISS", await SendAsync(proxy.Client, "Analyse 12 Oak Street"));
        Assert.Equal("HIT", await SendAsync(other, "Analyse 12 Oak Street"));
    }

    [Fact]
    public async Task ThePurgeIndex_SurvivesARestart()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var database = TempFiles.NewDatabasePath();
        var proxy = await ProxyHost.StartAsync(upstream, database);
        await SendAsync(proxy.Client, "Analyse 12 Oak Street", ("x-cache-tags", "listing-42"));
        await SendAsync(proxy.Client, "Analyse 14 Oak Street", ("x-cache-tags", "listing-43"));
        await proxy.SettleAsync();
        await proxy.StopKeepingUpstreamAsync();

        await using var restarted = await ProxyHost.StartAsync(upstream, database);
        Assert.Equal(1, await Purges.MatchedAsync(restarted, "tag=listing-42"));

        Assert.Equal("MISS", await SendAsync(restarted.Client, "Analyse 12 Oak Street"));
        Assert.Equal("HIT", await SendAsync(restarted.Client, "Analyse 14 Oak Street"));
    }

    [Fact]
    public async Task ExpiredEntries_LeaveTheIndexWithTheClean_up()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await SendAsync(proxy.Client, "Analyse 12 Oak Street", ("x-cache-tags", "listing-42"), ("x-cache-strategy", "real-time"));
        await proxy.SettleAsync();
        var tier = Assert.IsType<ClaudeCache.Storage.Sqlite.SqliteSecondTier>(proxy.Cache.SecondTier);
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(1, await Purges.MatchedAsync(proxy, "tag=listing-42&dryRun=true"));

        // The clean-up timer runs on the proxy's clock too; whichever runs first deletes the expired entry.
        proxy.Clock.Advance(TimeSpan.FromMinutes(20));
        await tier.CleanupAsync(ct);

        Assert.Equal(0, (await tier.GetStatisticsAsync(ct)).EntryCount);
        Assert.Equal(0, await Purges.MatchedAsync(proxy, "tag=listing-42&dryRun=true"));
        Assert.Equal(0, await Purges.MatchedAsync(proxy, "olderThan=1m&dryRun=true"));
    }

    [Theory]
    [InlineData("", "at least one filter")]
    [InlineData("dryRun=true", "at least one filter")]
    [InlineData("tags=listing-42", "'tags' is not a filter")]
    [InlineData("tag=listing-42&modle=claude-sonnet-4-5", "'modle' is not a filter")]
    [InlineData("tag=a&tag=b", "tag: give it once")]
    [InlineData("tag=a%20b", "is not a tag")]
    [InlineData("strategy=forever", "strategy: 'forever'")]
    [InlineData("olderThan=soon", "olderThan: 'soon'")]
    [InlineData("namespace=team%2Fa", "is not a namespace")]
    [InlineData("tag=a&dryRun=maybe", "dryRun: 'maybe'")]
    public async Task BadFilters_Are400s_InAnthropicsEnvelope(string query, string message)
    {
        await using var proxy = await ProxyHost.StartAsync();
        await SendAsync(proxy.Client, "Analyse 12 Oak Street", ("x-cache-tags", "a"));
        await proxy.SettleAsync();

        var (status, body) = await Purges.PurgeAsync(proxy, query);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains(message, body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("HIT", await SendAsync(proxy.Client, "Analyse 12 Oak Street"));
    }

    [Fact]
    public async Task APurgeWithoutTheAdminToken_Is401_AndRemovesNothing()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await SendAsync(proxy.Client, "Analyse 12 Oak Street", ("x-cache-tags", "a"));
        await proxy.SettleAsync();
        using var anonymous = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var response = await anonymous.DeleteAsync("admin/cache?tag=a");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("HIT", await SendAsync(proxy.Client, "Analyse 12 Oak Street"));
    }

    [Theory]
    [InlineData("a,b,c,d,e,f,g,h,i", "at most 8 tags")]
    [InlineData("listing 42", "is not a tag")]
    [InlineData("a,,b", "is not a tag")]
    [InlineData("team/a", "is not a tag")]
    [InlineData("x0123456789012345678901234567890123456789012345678901234567890123", "is not a tag")]
    public async Task InvalidTagHeaders_Are400s_AndNothingIsForwarded(string tags, string message)
    {
        await using var proxy = await ProxyHost.StartAsync();

        var (response, bytes) = await Requests.SendAsync(proxy.Client, Requests.Body("Analyse 12 Oak Street"), ("x-cache-tags", tags));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(bytes);
        Assert.Equal("invalid_request_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains(message, json.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("x-cache-tags", json.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public async Task EightTagsOf64Characters_AreAccepted_AndEachFindsTheEntry()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var tags = Enumerable.Range(0, 8).Select(i => i + new string('t', 63)).ToArray();

        Assert.Equal("MISS", await SendAsync(proxy.Client, "Analyse 12 Oak Street", ("x-cache-tags", string.Join(",", tags))));
        await proxy.SettleAsync();

        foreach (var tag in tags)
        {
            Assert.Equal(1, await Purges.MatchedAsync(proxy, "dryRun=true&tag=" + tag));
        }
    }
}
