using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using ClaudeCache.Testing.Redis;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// A hit carries the <c>anthropic-organization-id</c> of the upstream answer it was stored from: JSON or stream, from
/// memory, from SQLite after a restart, and from Redis on another instance.
/// </summary>
public sealed class OrganizationIdTests
{
    private const string Header = "anthropic-organization-id";

    private static string NewOrganization() => Guid.NewGuid().ToString();

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Hit_FromMemory_CarriesTheStoredAnswersOrganizationId(bool storedAsStream, bool askedAsStream)
    {
        await using var proxy = await ProxyHost.StartAsync();
        var organization = NewOrganization();
        proxy.Upstream.OrganizationId = organization;

        var (miss, _) = await Requests.SendAsync(proxy.Client, Requests.Body("Who holds the escrow deposit?", storedAsStream));
        await proxy.SettleAsync();
        // The upstream would now answer with another id: a hit must carry the one its answer came with.
        proxy.Upstream.OrganizationId = NewOrganization();
        var (hit, _) = await Requests.SendAsync(proxy.Client, Requests.Body("Who holds the escrow deposit?", askedAsStream));

        Assert.Equal("MISS", miss.Header("x-cache"));
        Assert.Equal(organization, miss.Header(Header));
        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal(organization, hit.Header(Header));
        Assert.Equal(1, proxy.Upstream.MessagesCalls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Hit_AfterARestart_FromSqlite_CarriesTheStoredAnswersOrganizationId(bool stream)
    {
        var database = TempFiles.NewDatabasePath();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var organization = NewOrganization();
        upstream.OrganizationId = organization;
        var body = Requests.Body("What does a title search cover?", stream);

        var first = await ProxyHost.StartAsync(upstream, database);
        await Requests.SendAsync(first.Client, body);
        await first.SettleAsync();
        await first.StopKeepingUpstreamAsync();
        upstream.OrganizationId = NewOrganization();

        await using var second = await ProxyHost.StartAsync(upstream, database);
        var (hit, _) = await Requests.SendAsync(second.Client, body);

        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal(organization, hit.Header(Header));
        Assert.Equal(1, upstream.MessagesCalls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Hit_OnAnotherInstance_FromRedis_CarriesTheStoredAnswersOrganizationId(bool stream)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var organization = NewOrganization();
        upstream.OrganizationId = organization;
        var settings = new Dictionary<string, string?>
        {
            ["ClaudeCache:Storage:Provider"] = "redis",
            ["ClaudeCache:Storage:Redis:Configuration"] = redis.EndPoint,
            ["ClaudeCache:Storage:Redis:KeyPrefix"] = "org" + Guid.NewGuid().ToString("N")[..8] + ":",
            // Loopback on a busy 2-core machine: allow more than the production default of 50 ms.
            ["ClaudeCache:Storage:Redis:OperationTimeout"] = "00:00:00.500",
        };
        await using var a = await ProxyHost.StartAsync(upstream, settings: settings);
        await using var b = await ProxyHost.StartAsync(upstream, settings: settings);
        var body = Requests.Body("Is a home inspection required?", stream);

        await Requests.SendAsync(a.Client, body);
        await a.SettleAsync();
        upstream.OrganizationId = NewOrganization();
        var (hit, _) = await Requests.SendAsync(b.Client, body);

        Assert.Equal("HIT", hit.Header("x-cache"));
        Assert.Equal(organization, hit.Header(Header));
        Assert.Equal(1, upstream.MessagesCalls);
    }
}
