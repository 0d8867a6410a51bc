using System.Net;
using System.Text.Json;
using ClaudeCache.Proxy.Tests.Infrastructure;

namespace ClaudeCache.Proxy.Tests;

public sealed partial class MetricsTests
{
    [Fact]
    public async Task Metrics_AndStats_CountPurgedEntries_ByKind_NotDryRuns()
    {
        await using var proxy = await ProxyHost.StartAsync();
        (string, string) listing = ("x-cache-tags", "listing-42");
        await Requests.SendAsync(proxy.Client, Requests.Body("Analyse 12 Oak Street"), listing);
        await Requests.SendAsync(proxy.Client, Requests.Body("Analyse 14 Oak Street"), listing);
        await Requests.SendAsync(proxy.Client, Requests.Body("Analyse 16 Oak Street"), listing, ("x-cache-context", "property_analysis"));
        var (single, _) = await Requests.SendAsync(proxy.Client, Requests.Body("Explain a cap rate"));
        await proxy.SettleAsync();
        using var admin = proxy.CreateAdminClient();

        using (var deleted = await admin.DeleteAsync("admin/cache/" + single.Header("x-cache-key"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.Equal(1, await Purges.MatchedAsync(proxy, "tag=listing-42&context=property_analysis"));
        Assert.Equal(2, await Purges.MatchedAsync(proxy, "tag=listing-42&dryRun=true"));
        Assert.Equal(2, await Purges.MatchedAsync(proxy, "tag=listing-42"));

        using var response = await proxy.Client.GetAsync("metrics", TestContext.Current.CancellationToken);
        var samples = Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(1, Sum(samples, "claudecache_purged_entries_total", "kind", "single"));
        Assert.Equal(2, Sum(samples, "claudecache_purged_entries_total", "kind", "tag"));
        Assert.Equal(1, Sum(samples, "claudecache_purged_entries_total", "kind", "combined"));
        Assert.Equal(0, Sum(samples, "claudecache_purged_entries_total", "kind", "tenant"));
        Assert.Equal(4, Sum(samples, "claudecache_purged_entries_total"));

        using var stats = JsonDocument.Parse(await admin.GetStringAsync("admin/stats?window=1h", TestContext.Current.CancellationToken));
        var purged = stats.RootElement.GetProperty("purged");
        Assert.Equal(1, purged.GetProperty("single").GetInt64());
        Assert.Equal(2, purged.GetProperty("tag").GetInt64());
        Assert.Equal(1, purged.GetProperty("combined").GetInt64());
        Assert.Equal(0, purged.GetProperty("older_than").GetInt64());
    }
}
