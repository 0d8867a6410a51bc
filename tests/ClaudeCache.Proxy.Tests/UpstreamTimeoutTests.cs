using System.Net;
using System.Text.Json;
using ClaudeCache.Caching;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// A hung upstream must not hold a caller for the whole 10-minute total: the first-byte and idle bounds trip on the
/// proxy's TimeProvider (a fake clock here, so nothing sleeps), with a clean 504 before any byte was sent and an
/// aborted stream after, and nothing stored either way.
/// </summary>
public sealed class UpstreamTimeoutTests
{
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(20);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Timeouts_AreReadFromConfiguration()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["ClaudeCache:UpstreamTimeouts:StreamFirstByte"] = "00:00:30",
            ["ClaudeCache:UpstreamTimeouts:MessageIdle"] = "00:00:20",
        });
        var timeouts = proxy.Services.GetRequiredService<FlightRunner>().Timeouts;

        Assert.Equal(TimeSpan.FromSeconds(30), timeouts.StreamFirstByte);
        Assert.Equal(TimeSpan.FromSeconds(20), timeouts.MessageIdle);
        Assert.Equal(new UpstreamTimeouts().MessageFirstByte, timeouts.MessageFirstByte);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UpstreamSilentBeforeTheFirstByte_Gets504TimeoutErrorWithShouldRetry(bool stream)
    {
        await using var proxy = await ProxyHost.StartAsync();
        var runner = proxy.Services.GetRequiredService<FlightRunner>();
        runner.Timeouts = new UpstreamTimeouts { StreamFirstByte = TimeSpan.FromSeconds(30), MessageFirstByte = TimeSpan.FromSeconds(90) };
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Upstream.BeforeRespond = async (_, aborted) =>
        {
            received.TrySetResult();
            await Task.Delay(Timeout.Infinite, aborted); // hangs until the proxy gives up
        };

        var call = Requests.SendAsync(proxy.Client, Requests.Body("hung upstream", stream));
        await received.Task.WaitAsync(NoHang, Token);
        proxy.Clock.Advance(TimeSpan.FromSeconds(stream ? 29 : 89));
        Assert.False(call.IsCompleted); // not before its bound
        proxy.Clock.Advance(TimeSpan.FromSeconds(2));
        var (response, body) = await call.WaitAsync(NoHang, Token);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("true", response.Header("x-should-retry"));
        using var json = JsonDocument.Parse(body);
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("timeout_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task StreamThatGoesSilentMidAnswer_IsAbortedAfterTheIdleBoundAndNotStored()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var runner = proxy.Services.GetRequiredService<FlightRunner>();
        runner.Timeouts = new UpstreamTimeouts { StreamIdle = TimeSpan.FromSeconds(45) };
        proxy.Upstream.Responder = _ => FakeReply.TextReply("an answer that stalls after its first event") with { EventInterval = TimeSpan.FromHours(1) };
        var body = Requests.Body("stalls mid-answer", stream: true);

        using var response = await proxy.Client.SendAsync(Requests.Post(body), HttpCompletionOption.ResponseHeadersRead, Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stream = await response.Content.ReadAsStreamAsync(Token);
        var buffer = new byte[4096];
        Assert.True(await stream.ReadAsync(buffer, Token) > 0); // message_start arrived
        var rest = ReadToEndAsync(stream);
        proxy.Clock.Advance(TimeSpan.FromSeconds(46));

        var ended = await rest.WaitAsync(NoHang, Token);
        Assert.DoesNotContain("message_stop", ended, StringComparison.Ordinal); // aborted, not completed
        proxy.Upstream.Responder = DefaultResponder.Reply;
        var (again, _) = await Requests.SendAsync(proxy.Client, body);
        Assert.Equal("MISS", again.Header("x-cache")); // the partial answer was not stored
        Assert.Equal(2, proxy.Upstream.MessagesCalls);
    }

    [Fact]
    public void Timeouts_ZeroOrNegativeBounds_AreRefused()
    {
        var runner = new FlightRunner(null!, new FlightRegistry(), TimeProvider.System, TimeSpan.FromMinutes(10));

        Assert.Throws<ArgumentException>(() => runner.Timeouts = new UpstreamTimeouts { StreamIdle = TimeSpan.Zero });
        Assert.Throws<ArgumentException>(() => runner.Timeouts = new UpstreamTimeouts { MessageFirstByte = TimeSpan.FromSeconds(-5) });
        runner.Timeouts = new UpstreamTimeouts { MessageFirstByte = Timeout.InfiniteTimeSpan };
        Assert.Equal(Timeout.InfiniteTimeSpan, runner.Timeouts.MessageFirstByte);
    }

    /// <summary>Reads what is left; a stream the proxy aborted ends with an error, which counts as the end here.</summary>
    private static async Task<string> ReadToEndAsync(Stream stream)
    {
        var text = new MemoryStream();
        try
        {
            await stream.CopyToAsync(text, Token);
        }
        catch (Exception exception) when (exception is IOException or HttpRequestException)
        {
            // The abort: the proxy resets the response.
        }

        return System.Text.Encoding.UTF8.GetString(text.ToArray());
    }
}
