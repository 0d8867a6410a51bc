using System.Net;
using System.Text;
using System.Text.Json;
using ClaudeCache.Costs;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// No bare 500s: an exception nothing handled is a 500 envelope naming its type (or a cut connection once the answer
/// has started), a ledger store that fails under <c>/admin/stats</c> or <c>/admin/estimate</c> is a 503 the caller
/// retries, and a report with a latency over a minute is still a report (the CI failure of EstimateTests on Redis).
/// </summary>
public sealed class AdminErrorTests
{
    private const string Secret = "secret-value-from-the-exception-message";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stats_WithLatenciesOverAMinute_IsAReport_WithTheOpenSlotAsItsLowerBound()
    {
        // What failed in CI: requests recorded with latencies over a minute (there, a fake clock moved on before a
        // loaded machine recorded the request; in production, a long streamed answer) put p95/p99 in the open last
        // histogram slot, whose bound is infinite, and the report could not be written as JSON: a 500.
        await using var proxy = await ProxyHost.StartAsync();
        var ledger = proxy.Services.GetRequiredService<SavingsLedger>();
        for (var i = 0; i < 10; i++)
        {
            var latency = i < 8 ? TimeSpan.FromMilliseconds(30) : TimeSpan.FromMinutes(4);
            ledger.Record(new LedgerEntry(proxy.Clock.GetUtcNow(), "claude-sonnet-4-5", "standard", "explanation", "t", LedgerOutcome.Miss, default, 1_000, 0, true, latency));
        }

        using var admin = proxy.CreateAdminClient();
        using var response = await admin.GetAsync("admin/stats?window=24h", Token);
        var body = await response.Content.ReadAsStringAsync(Token);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        var miss = json.RootElement.GetProperty("missLatency");
        Assert.Equal(10, miss.GetProperty("count").GetInt64());
        Assert.Equal(50, miss.GetProperty("p50Ms").GetDouble());
        Assert.Equal(60_000, miss.GetProperty("p95Ms").GetDouble());
        Assert.Equal(60_000, miss.GetProperty("p99Ms").GetDouble());
    }

    [Fact]
    public async Task UnhandledException_BeforeTheAnswerStarted_IsA500Envelope_NamingTheTypeOnly_LoggedOnce()
    {
        var logs = new CapturingLoggerProvider();
        await using var proxy = await StartWithFaultRoutesAsync(logs);
        using var client = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var response = await client.GetAsync("test-fault/throw", Token);
        var body = await response.Content.ReadAsStringAsync(Token);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("true", response.Headers.GetValues("x-should-retry").Single());
        using var json = JsonDocument.Parse(body);
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("api_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains(nameof(FaultException), json.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);

        var logged = logs.Entries.Where(e => e.Exception is FaultException).ToList();
        var entry = Assert.Single(logged);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal(5002, entry.EventId.Id);
    }

    [Theory]
    [InlineData("test-fault/started-with-length")]
    [InlineData("test-fault/started-chunked")]
    [InlineData("test-fault/buffered-not-flushed")]
    public async Task UnhandledException_OnceTheAnswerHasBytes_AbortsTheConnection_NeverAnAnswerThatLooksComplete(string path)
    {
        var logs = new CapturingLoggerProvider();
        await using var proxy = await StartWithFaultRoutesAsync(logs);
        using var client = new HttpClient { BaseAddress = proxy.BaseAddress };

        // Headers may or may not have gone out; either way reading the whole answer must fail. Before the fix, bytes
        // buffered but not flushed were followed by the envelope, Kestrel refused it, and the caller got a bare 500.
        var failure = await Record.ExceptionAsync(async () =>
        {
            using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, Token);
            var body = await response.Content.ReadAsStringAsync(Token);
            Assert.Fail($"a complete answer: {(int)response.StatusCode} '{body}'");
        });

        Assert.True(failure is HttpRequestException or IOException, failure?.ToString());
        Assert.True(await Polling.UntilAsync(() => logs.Entries.Any(e => e.Exception is FaultException)));
        var entry = Assert.Single(logs.Entries, e => e.Exception is FaultException);
        Assert.Equal(LogLevel.Error, entry.Level);
    }

    [Fact]
    public async Task StatsAndEstimate_WithRedisStopped_Answer503_AndAReportOnceItIsBack()
    {
        await using var redis = await RedisServer.StartAsync(Token);
        await using var proxy = await ProxyHost.StartAsync(settings: EstimateTests.RedisSettings(redis.EndPoint));
        var (first, _) = await Requests.SendAsync(proxy.Client, Requests.Body("Explain a cap rate"));
        first.EnsureSuccessStatusCode();
        await proxy.SettleAsync();
        using var admin = proxy.CreateAdminClient();
        using (var before = await admin.GetAsync("admin/stats?window=24h", Token))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await redis.StopAsync();

        await AssertStoreFailedAsync(admin, HttpMethod.Get, "admin/stats?window=24h", "reading the ledger", redis.EndPoint);
        await AssertStoreFailedAsync(admin, HttpMethod.Get, "admin/estimate?days=7", "reading the request log", redis.EndPoint);

        await redis.RestartAsync(Token);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            await Task.Delay(50, Token);
            using var after = await admin.GetAsync("admin/stats?window=24h", Token);
            status = after.StatusCode;
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task StatsAndEstimate_WithAFailingLedgerStore_Answer503_NamingTheExceptionTypeOnly()
    {
        await using var proxy = await ProxyHost.StartAsync(configureServices: services =>
            services.AddSingleton(sp => new SavingsLedger(new FailingLedgerStore(), sp.GetRequiredService<TimeProvider>(), TimeSpan.FromMinutes(1))));
        using var admin = proxy.CreateAdminClient();

        await AssertStoreFailedAsync(admin, HttpMethod.Get, "admin/stats?window=7d", "reading the ledger", Secret, nameof(SqliteException));
        await AssertStoreFailedAsync(admin, HttpMethod.Get, "admin/estimate?days=7", "reading the request log", Secret, nameof(SqliteException));
        await AssertStoreFailedAsync(admin, HttpMethod.Post, "admin/estimate?days=7", "reading the request log", Secret, nameof(SqliteException));
    }

    private static async Task AssertStoreFailedAsync(HttpClient admin, HttpMethod method, string path, string reading, string mustNotContain, string? exceptionType = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("""{"ClaudeCache":{"Strategies":{"StandardTtl":"1.00:00:00"}}}""", Encoding.UTF8, "application/json");
        }

        using var response = await admin.SendAsync(request, Token);
        var body = await response.Content.ReadAsStringAsync(Token);

        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{method} {path}: {(int)response.StatusCode} {body}");
        Assert.Equal("true", response.Headers.GetValues("x-should-retry").Single());
        using var json = JsonDocument.Parse(body);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("api_error", error.GetProperty("type").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("The store failed while " + reading, message, StringComparison.Ordinal);
        Assert.DoesNotContain(mustNotContain, body, StringComparison.Ordinal);
        if (exceptionType is not null)
        {
            Assert.Contains($"({exceptionType})", message, StringComparison.Ordinal);
        }
    }

    /// <summary>A proxy with routes (behind every real one, inside the error middleware) that fail in each way.</summary>
    private static Task<ProxyHost> StartWithFaultRoutesAsync(CapturingLoggerProvider logs) =>
        ProxyHost.StartAsync(configureServices: services =>
        {
            services.AddSingleton<ILoggerProvider>(logs);
            services.AddSingleton<IStartupFilter, FaultRoutes>();
        });

    private sealed class FaultException(string message) : Exception(message);

    /// <summary>
    /// Runs after the application's pipeline: a request no endpoint matched reaches it through the error middleware,
    /// exactly as an endpoint's exception would.
    /// </summary>
    private sealed class FaultRoutes : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Run(async context =>
            {
                var response = context.Response;
                switch (context.Request.Path.Value)
                {
                    case "/test-fault/started-with-length":
                        response.ContentLength = 1000;
                        await response.Body.WriteAsync("{\"partial\":"u8.ToArray(), context.RequestAborted);
                        await response.Body.FlushAsync(context.RequestAborted);
                        break;
                    case "/test-fault/started-chunked":
                        await response.Body.WriteAsync("{\"partial\":"u8.ToArray(), context.RequestAborted);
                        await response.Body.FlushAsync(context.RequestAborted);
                        break;
                    case "/test-fault/buffered-not-flushed":
                        // What a serializer writing into the response leaves when it throws before its first flush.
                        var bytes = "{\"partial\":"u8;
                        bytes.CopyTo(response.BodyWriter.GetSpan(bytes.Length));
                        response.BodyWriter.Advance(bytes.Length);
                        break;
                    case "/test-fault/throw":
                        break;
                    default:
                        response.StatusCode = StatusCodes.Status404NotFound;
                        return;
                }

                throw new FaultException(Secret);
            });
        };
    }

    /// <summary>A ledger store whose every call fails as a faulting SQLite file does (the message carries a path).</summary>
    private sealed class FailingLedgerStore : ILedgerStore
    {
        public Task AddAsync(IReadOnlyCollection<LedgerRow> rows, IReadOnlyCollection<LatencyRow> latencies, CancellationToken cancellationToken) => Fail();

        public Task<IReadOnlyList<LedgerRow>> QueryAsync(long fromMinute, long toMinute, CancellationToken cancellationToken) => Fail<IReadOnlyList<LedgerRow>>();

        public Task<IReadOnlyList<LatencyRow>> QueryLatencyAsync(long fromMinute, long toMinute, CancellationToken cancellationToken) => Fail<IReadOnlyList<LatencyRow>>();

        public Task PruneAsync(long foldBeforeMinute, long deleteBeforeMinute, CancellationToken cancellationToken) => Fail();

        public Task AddRequestsAsync(IReadOnlyCollection<RequestLogRow> rows, TimeSpan retention, CancellationToken cancellationToken) => Fail();

        public Task<IReadOnlyList<RequestLogRow>> QueryRequestsAsync(long fromMs, long toMs, CancellationToken cancellationToken) => Fail<IReadOnlyList<RequestLogRow>>();

        public Task PruneRequestsAsync(long beforeMs, int maxRows, CancellationToken cancellationToken) => Fail();

        private static SqliteException Error() => new($"disk I/O error reading {Secret}.db", 10);

        private static Task Fail() => Task.FromException(Error());

        private static Task<T> Fail<T>() => Task.FromException<T>(Error());
    }
}
