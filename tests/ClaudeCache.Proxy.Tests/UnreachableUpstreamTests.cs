using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Proxy.Tests;

/// <summary>An upstream nobody answers: every request fails with a 502, but the log says so once, not per request.</summary>
public sealed class UnreachableUpstreamTests
{
    [Fact]
    public async Task FiftyFailedRequests_LogOneWarningLine_WithoutStackTrace_AndEachStackTraceAtDebug()
    {
        var logs = new CapturingLoggerProvider();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        await using var proxy = await StartAsync(logs, clock);
        using var client = proxy.Client;

        for (var i = 0; i < 50; i++)
        {
            // Different prompts: 50 upstream calls, not one call shared by coalescing.
            using var response = await client.PostAsync("v1/messages", Json($"question {i}"), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }

        var warnings = logs.Entries.Where(e => e.Level >= LogLevel.Warning).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("Upstream unavailable (connection refused)", warning.Message, StringComparison.Ordinal);
        Assert.Null(warning.Exception);
        Assert.True(warning.Message.Length < 300, warning.Message);
        Assert.Equal(50, logs.Entries.Count(e => e.Level == LogLevel.Debug && e.EventId.Id == 2007 && e.Exception is not null));

        // A minute later: one line with the count of failures not yet reported.
        clock.Advance(UpstreamFailureLog.Interval);
        using (var late = await client.PostAsync("v1/messages", Json("question 51"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.BadGateway, late.StatusCode);
        }

        var summary = Assert.Single(logs.Entries, e => e.Level >= LogLevel.Warning && e != warning);
        Assert.Contains("Upstream unavailable (connection refused): 50 more since the last warning", summary.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PassThroughRoutes_ToAnUnreachableUpstream_AlsoLogOneWarningLine()
    {
        var logs = new CapturingLoggerProvider();
        await using var proxy = await StartAsync(logs, TimeProvider.System);

        for (var i = 0; i < 10; i++)
        {
            using var response = await proxy.Client.GetAsync("v1/models", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }

        var warnings = logs.Entries.Where(e => e.Level >= LogLevel.Warning).ToList();
        Assert.True(warnings.Count == 1, string.Join("\n", warnings.Select(e => $"{e.Category} {e.Level} {e.EventId} {e.Message} {e.Exception?.GetType()}")));
        var warning = warnings[0];
        Assert.Contains("Upstream unavailable (connection refused)", warning.Message, StringComparison.Ordinal);
        Assert.Null(warning.Exception);
    }

    [Theory]
    [InlineData("v1/messages")]
    [InlineData("v1/models")]
    public async Task ProxysOwn502_HasTheSameRequestIdInHeaderAndBody(string route)
    {
        await using var proxy = await StartAsync(new CapturingLoggerProvider(), TimeProvider.System);

        using var response = route == "v1/models"
            ? await proxy.Client.GetAsync(route, TestContext.Current.CancellationToken)
            : await proxy.Client.PostAsync(route, Json("request id"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var header = Assert.Single(response.Headers.GetValues("request-id"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(header, body.RootElement.GetProperty("request_id").GetString());
    }

    [Fact]
    public void Classify_NamesTheKindOfFailure()
    {
        Assert.Equal("connection refused", UpstreamFailureLog.Classify(new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused)), timedOut: false));
        Assert.Equal("DNS", UpstreamFailureLog.Classify(new HttpRequestException(HttpRequestError.NameResolutionError, "no such host", new SocketException((int)SocketError.HostNotFound)), timedOut: false));
        Assert.Equal("TLS", UpstreamFailureLog.Classify(new HttpRequestException(HttpRequestError.SecureConnectionError, "ssl", new System.Security.Authentication.AuthenticationException("cert")), timedOut: false));
        Assert.Equal("timeout", UpstreamFailureLog.Classify(new TaskCanceledException(), timedOut: true));
        Assert.Equal("connect timeout", UpstreamFailureLog.Classify(new TaskCanceledException("connect", new TimeoutException()), timedOut: false));
    }

    private static StringContent Json(string question) => new(Requests.Body(question), Encoding.UTF8, "application/json");

    /// <summary>A proxy whose upstream is a loopback port that was free a moment ago: every connection is refused.</summary>
    private static async Task<Running> StartAsync(CapturingLoggerProvider logs, TimeProvider clock)
    {
        var app = ProxyApp.Create([], new Dictionary<string, string?>
        {
            ["ClaudeCache:Port"] = "0",
            ["ClaudeCache:Upstream"] = $"http://127.0.0.1:{FreePort()}",
            ["ClaudeCache:Storage:Provider"] = "memory",
            ["Logging:LogLevel:Default"] = "Debug",
            ["Logging:LogLevel:ClaudeCache"] = "Debug",
        }, configureServices: services =>
        {
            services.AddSingleton<ILoggerProvider>(logs);
            services.AddSingleton(clock);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address.TrimEnd('/') + "/") };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-ant-test-key-1");
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return new Running(app, client);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record Running(WebApplication App, HttpClient Client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
