using System.Net;
using System.Text.Json;
using ClaudeCache.Proxy.Tests.Infrastructure;

namespace ClaudeCache.Proxy.Tests;

/// <summary>Every answer not served from the cache says why (<c>x-cache-miss-reason</c>), counted per reason in /admin/stats.</summary>
public sealed class MissReasonTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NewExpiredBypassAndRefresh_AreToldApart()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var body = Requests.Body("Analyse 12 Oak Street");
        (string, string) standard = ("x-cache-strategy", "standard");

        var (first, _) = await Requests.SendAsync(proxy.Client, body, standard);
        await proxy.SettleAsync();
        var (hit, _) = await Requests.SendAsync(proxy.Client, body, standard);
        var (bypass, _) = await Requests.SendAsync(proxy.Client, body, standard, ("Cache-Control", "no-store"));
        var (refresh, _) = await Requests.SendAsync(proxy.Client, body, standard, ("Cache-Control", "no-cache"));
        await proxy.SettleAsync();
        proxy.Clock.Advance(TimeSpan.FromHours(7));
        var (expired, _) = await Requests.SendAsync(proxy.Client, body, standard);

        Assert.Equal(("MISS", "new"), (first.Header("x-cache"), first.Header("x-cache-miss-reason")));
        Assert.Equal(("HIT", ""), (hit.Header("x-cache"), hit.Header("x-cache-miss-reason")));
        Assert.Equal(("BYPASS", "bypass"), (bypass.Header("x-cache"), bypass.Header("x-cache-miss-reason")));
        Assert.Equal(("REFRESH", "refresh"), (refresh.Header("x-cache"), refresh.Header("x-cache-miss-reason")));
        Assert.Equal(("MISS", "expired"), (expired.Header("x-cache"), expired.Header("x-cache-miss-reason")));

        using var admin = proxy.CreateAdminClient();
        using var stats = JsonDocument.Parse(await admin.GetStringAsync("admin/stats?window=24h", Token));
        var reasons = stats.RootElement.GetProperty("serving").GetProperty("missReasons");
        Assert.Equal(1, reasons.GetProperty("new").GetInt64());
        Assert.Equal(1, reasons.GetProperty("expired").GetInt64());
        Assert.Equal(1, reasons.GetProperty("bypass").GetInt64());
        Assert.Equal(1, reasons.GetProperty("refresh").GetInt64());
        Assert.Equal(0, reasons.GetProperty("invalidated").GetInt64());
    }

    [Fact]
    public async Task AnEntryDeletedByTheAdminApi_MissesAsInvalidated_AlsoAfterARestart()
    {
        await using var upstream = await ClaudeCache.Testing.FakeAnthropicUpstream.StartAsync(Token);
        var database = TempFiles.NewDatabasePath();
        var body = Requests.Body("Analyse 12 Oak Street");
        var proxy = await ProxyHost.StartAsync(upstream, database);
        var (stored, _) = await Requests.SendAsync(proxy.Client, body);
        await proxy.SettleAsync();
        var key = stored.Header("x-cache-key");
        using var admin = proxy.CreateAdminClient();
        using (var deleted = await admin.DeleteAsync("admin/cache/" + key, Token))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var (after, _) = await Requests.SendAsync(proxy.Client, body);
        await proxy.SettleAsync();
        using (var again = await admin.DeleteAsync("admin/cache/" + key, Token))
        {
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        }

        await proxy.StopKeepingUpstreamAsync();
        Assert.Equal(("MISS", "invalidated"), (after.Header("x-cache"), after.Header("x-cache-miss-reason")));

        // A new process remembers nothing in memory: the tombstone in the SQLite file tells it.
        await using var restarted = await ProxyHost.StartAsync(upstream, database);
        var (later, _) = await Requests.SendAsync(restarted.Client, body);
        Assert.Equal(("MISS", "invalidated"), (later.Header("x-cache"), later.Header("x-cache-miss-reason")));
    }
}
