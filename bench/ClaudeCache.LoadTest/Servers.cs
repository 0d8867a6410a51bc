using System.Net;
using ClaudeCache.Caching;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace ClaudeCache.LoadTest;

/// <summary>
/// The three servers of a load run, all in this process on loopback: the fake upstream (no latency), the real proxy
/// in front of it (default SQLite store in a temp folder), and a bare Kestrel endpoint that answers every
/// <c>POST /v1/messages</c> with fixed bytes (the hit baseline).
/// </summary>
internal sealed class Servers : IAsyncDisposable
{
    private static readonly string[] RelayedHeaders = ["x-api-key", "anthropic-version"];

    private readonly WebApplication _proxy;
    private readonly WebApplication _proxyNoCosts;
    private readonly WebApplication _proxyNoMemo;
    private readonly WebApplication _bare;
    private readonly string _directory;
    private byte[] _bareBody = [];

    private Servers(FakeAnthropicUpstream upstream, WebApplication proxy, WebApplication proxyNoCosts, WebApplication proxyNoMemo, WebApplication bare, string directory)
    {
        _proxyNoMemo = proxyNoMemo;
        ProxyNoMemoAddress = AddressOf(proxyNoMemo);
        Upstream = upstream;
        _proxy = proxy;
        _proxyNoCosts = proxyNoCosts;
        _bare = bare;
        _directory = directory;
        ProxyAddress = AddressOf(proxy);
        ProxyNoCostsAddress = AddressOf(proxyNoCosts);
        BareAddress = AddressOf(bare);
    }

    public FakeAnthropicUpstream Upstream { get; }

    public Uri ProxyAddress { get; }

    public Uri BareAddress { get; }

    /// <summary>A second proxy, identical but with cost accounting off (<c>ClaudeCache:Costs:Enabled</c> = false).</summary>
    public Uri ProxyNoCostsAddress { get; }

    /// <summary>A third proxy, identical but with step 1's memo off (<c>ClaudeCache:Cache:RequestMemoMaxEntries</c> = 0).</summary>
    public Uri ProxyNoMemoAddress { get; }

    public ResponseCache Cache => _proxy.Services.GetRequiredService<ResponseCache>();

    public static async Task<Servers> StartAsync()
    {
        var upstream = await FakeAnthropicUpstream.StartAsync();
        // DefaultResponder already answers with no latency and no pause between events; say so explicitly.
        upstream.Responder = request => DefaultResponder.Reply(request) with { Latency = TimeSpan.Zero, EventInterval = TimeSpan.Zero };

        var directory = Path.Combine(Path.GetTempPath(), "claudecache-load-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        WebApplication CreateProxy(string name, bool costs, bool memo = true) => ProxyApp.Create(
            [],
            new Dictionary<string, string?>
            {
                ["ClaudeCache:Port"] = "0",
                ["ClaudeCache:Upstream"] = upstream.BaseAddress.ToString(),
                ["ClaudeCache:Storage:SqlitePath"] = Path.Combine(directory, name),
                ["ClaudeCache:Costs:Enabled"] = costs ? "true" : "false",
                ["ClaudeCache:Cache:RequestMemoMaxEntries"] = memo ? null : "0",
                ["Logging:LogLevel:Default"] = "Warning",
            },
            configureServices: costs && memo ? null : services => services.ConfigureOpenTelemetryMeterProvider(
                // OpenTelemetry subscribes to meters by name, process-wide: without this, this proxy's MeterProvider
                // would also aggregate every measurement of the first proxy and double its metrics cost (and the first
                // proxy's aggregates this one's measurements already: each measurement is aggregated once either way).
                metrics => metrics.AddView("*", MetricStreamConfiguration.Drop)));

        var proxy = CreateProxy("claudecache.db", costs: true);
        await proxy.StartAsync();
        var proxyNoCosts = CreateProxy("claudecache-nocosts.db", costs: false);
        await proxyNoCosts.StartAsync();
        var proxyNoMemo = CreateProxy("claudecache-nomemo.db", costs: true, memo: false);
        await proxyNoMemo.StartAsync();

        Servers? servers = null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options =>
        {
            options.AddServerHeader = false;
            options.Listen(IPAddress.Loopback, 0);
        });
        var bare = builder.Build();
        bare.MapPost("/v1/messages", async (HttpContext context) =>
        {
            // Read the request body as the proxy must, then answer with the stored bytes.
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            var body = servers!._bareBody;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        });
        // The floor of any proxy: read the body, send it on with HttpClient, copy the answer back — nothing else.
        var relayClient = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = upstream.BaseAddress };
        bare.MapPost("/relay/v1/messages", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new ByteArrayContent(buffer.GetBuffer(), 0, (int)buffer.Length) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            foreach (var name in RelayedHeaders)
            {
                request.Headers.TryAddWithoutValidation(name, context.Request.Headers[name].ToString());
            }

            using var response = await relayClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
        await bare.StartAsync();

        servers = new Servers(upstream, proxy, proxyNoCosts, proxyNoMemo, bare, directory);
        return servers;
    }

    /// <summary>Sets the bytes the bare endpoint answers with (the proxy's hit body, captured once).</summary>
    public void SetBareBody(byte[] body) => _bareBody = body;

    public async ValueTask DisposeAsync()
    {
        await _bare.StopAsync();
        await _bare.DisposeAsync();
        await _proxy.StopAsync();
        await _proxy.DisposeAsync();
        await _proxyNoCosts.StopAsync();
        await _proxyNoCosts.DisposeAsync();
        await _proxyNoMemo.StopAsync();
        await _proxyNoMemo.DisposeAsync();
        await Upstream.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private static Uri AddressOf(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.TrimEnd('/') + "/");
    }
}
