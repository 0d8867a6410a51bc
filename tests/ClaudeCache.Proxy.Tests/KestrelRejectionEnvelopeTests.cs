using System.Buffers;
using System.Globalization;
using System.Net;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// Issue 10: the answers Kestrel writes itself to a request line or headers it refuses, before any middleware runs,
/// carry Anthropic's envelope too; application answers on the same connections are never touched.
/// </summary>
public sealed class KestrelRejectionEnvelopeTests
{
    private const string Valid = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Explain escrow"}]}""";

    private static readonly string BigHeader = "x-big: " + new string('a', 40 * 1024) + "\r\n";

    [Theory]
    [InlineData("x-big", 431, "request_too_large")]
    [InlineData("x-nul: a\0b\r\n", 400, "invalid_request_error")]
    [InlineData("Content-Length: abc\r\n", 400, "invalid_request_error")]
    [InlineData("Content-Length: 5\r\nContent-Length: 6\r\n", 400, "invalid_request_error")]
    public async Task HeadRejectedByKestrel_Is4xxInTheEnvelope_NeverForwarded(string extraHeader, int status, string errorType)
    {
        await using var proxy = await ProxyHost.StartAsync();
        var header = extraHeader == "x-big" ? BigHeader : extraHeader;

        var answer = await SendOnNewConnectionAsync(proxy, RawHttp.Head("POST", "/v1/messages", proxy.BaseAddress, header));

        Assert.Equal(status, answer.Status);
        AssertEnvelope(answer, errorType);
        Assert.Equal(0, proxy.Upstream.TotalCalls);
    }

    [Fact]
    public async Task Latin1HeaderBytes_AreRejectedWith400InTheEnvelope_NeverForwarded()
    {
        await using var proxy = await ProxyHost.StartAsync();

        // "Zürich" in Latin-1 (0xFC alone) is not UTF-8, the encoding Kestrel decodes header values with.
        var answer = await SendOnNewConnectionAsync(proxy, RawHttp.Head("POST", "/v1/messages", proxy.BaseAddress, "user-agent: Z\u00FCrich\r\n"));

        Assert.Equal(400, answer.Status);
        AssertEnvelope(answer, "invalid_request_error");
        Assert.Equal(0, proxy.Upstream.TotalCalls);
    }

    [Theory]
    [InlineData("POST /v1/messages HTTP/1.1 extra\r\n", 400, "invalid_request_error")]
    [InlineData("GARBAGE\r\n", 400, "invalid_request_error")]
    [InlineData("POST  /v1/messages HTTP/1.1\r\n", 400, "invalid_request_error")]
    [InlineData("POST /v1/messages\0 HTTP/1.1\r\n", 400, "invalid_request_error")]
    [InlineData("long", 414, "request_too_large")]
    public async Task MalformedRequestLine_Is4xxInTheEnvelope_NeverForwarded(string requestLine, int status, string errorType)
    {
        await using var proxy = await ProxyHost.StartAsync();
        var line = requestLine == "long" ? $"POST /v1/messages?q={new string('a', 10 * 1024)} HTTP/1.1\r\n" : requestLine;

        var answer = await SendOnNewConnectionAsync(proxy, line + $"Host: {proxy.BaseAddress.Authority}\r\nx-api-key: sk-ant-test-key-1\r\n\r\n");

        Assert.Equal(status, answer.Status);
        AssertEnvelope(answer, errorType);
        Assert.Equal(0, proxy.Upstream.TotalCalls);
    }

    [Fact]
    public async Task HeadThatNeverEnds_Is408InTheEnvelope_NeverForwarded()
    {
        await using var proxy = await ProxyHost.StartAsync(configureServices: services => services.Configure<KestrelServerOptions>(
            kestrel => kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(1)));

        // Half a head, then silence: Kestrel's request-headers timeout ends the wait.
        var answer = await SendOnNewConnectionAsync(proxy, $"POST /v1/messages HTTP/1.1\r\nHost: {proxy.BaseAddress.Authority}\r\nx-api-key: sk-ant");

        Assert.Equal(408, answer.Status);
        AssertEnvelope(answer, "invalid_request_error");
        Assert.Equal(0, proxy.Upstream.TotalCalls);
    }

    /// <summary>
    /// The writer assumes HTTP/1.1: on the proxy's cleartext listener Kestrel 10 refuses an HTTP/2 prior-knowledge
    /// preface with an HTTP/2 GOAWAY (HTTP_1_1_REQUIRED), which passes the writer unchanged. This fails the day
    /// Kestrel starts speaking h2c there.
    /// </summary>
    [Fact]
    public async Task Http2PriorKnowledgePreface_GetsKestrelsGoAway_Unchanged()
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var client = new TcpClient();
        await client.ConnectAsync(proxy.BaseAddress.Host, proxy.BaseAddress.Port);
        var stream = client.GetStream();

        await stream.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        var received = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await stream.CopyToAsync(received, timeout.Token);
        var frame = received.ToArray();

        Assert.Equal(17, frame.Length);
        Assert.Equal(0x07, frame[3]); // GOAWAY
        Assert.Equal(0x0D, frame[16]); // HTTP_1_1_REQUIRED
        Assert.Equal(0, proxy.Upstream.TotalCalls);
    }

    [Fact]
    public async Task KeepAlive_AHitThenABadHead_TheHitIsUnchanged_TheRejectionInTheEnvelope()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var request = Encoding.UTF8.GetBytes(RawHttp.Head("POST", "/v1/messages", proxy.BaseAddress, contentLength: Encoding.UTF8.GetByteCount(Valid)) + Valid);
        await Requests.SendAsync(proxy.Client, Valid);

        await using var fresh = await RawConnection.OpenAsync(proxy.BaseAddress);
        await fresh.SendAsync(request);
        var alone = await fresh.ReadAnswerAsync();
        await using var connection = await RawConnection.OpenAsync(proxy.BaseAddress);
        await connection.SendAsync(request);
        var hit = await connection.ReadAnswerAsync();
        await connection.SendAsync(Encoding.Latin1.GetBytes(RawHttp.Head("POST", "/v1/messages", proxy.BaseAddress, "x-nul: a\0b\r\n")));
        var rejected = await connection.ReadAnswerAsync();

        Assert.Equal(200, hit.Status);
        Assert.Equal("HIT", hit.Headers["x-cache"]);
        Assert.Equal(alone.Headers.Keys.Order(StringComparer.OrdinalIgnoreCase), hit.Headers.Keys.Order(StringComparer.OrdinalIgnoreCase));
        Assert.Equal(alone.BodyText, hit.BodyText);
        Assert.Equal(400, rejected.Status);
        AssertEnvelope(rejected, "invalid_request_error");
        Assert.True(await connection.ClosedWithNothingMoreAsync());
        Assert.Equal(1, proxy.Upstream.TotalCalls);
    }

    [Fact]
    public async Task StreamedHitWhoseTextHoldsAStatusLine_IsDeliveredByteExact()
    {
        await using var proxy = await ProxyHost.StartAsync();
        proxy.Upstream.Responder = _ => FakeReply.TextReply("Quoted: HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n, then more.") with { TextChunkSize = 1000 };
        var body = Requests.Body("Show a bad request", stream: true);
        var (_, missBytes) = await Requests.SendAsync(proxy.Client, body);

        await using var connection = await RawConnection.OpenAsync(proxy.BaseAddress);
        await connection.SendAsync(Encoding.UTF8.GetBytes(RawHttp.Head("POST", "/v1/messages", proxy.BaseAddress, contentLength: Encoding.UTF8.GetByteCount(body)) + body));
        var hit = await connection.ReadAnswerAsync();

        Assert.Equal("HIT", hit.Headers["x-cache"]);
        Assert.Contains("HTTP/1.1 400 Bad Request", hit.BodyText, StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetString(missBytes), hit.BodyText);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    public async Task BodylessApplication4xx_IsNeverRewritten(string method)
    {
        // An application that answers a bare 400 with Content-Length: 0, the very shape of Kestrel's rejections.
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => KestrelRejectionEnvelope.UseOn(listen, kestrel.Limits)));
        await using var app = builder.Build();
        app.MarkApplicationResponses();
        app.Run(context =>
        {
            context.Response.StatusCode = 400;
            context.Response.ContentLength = 0;
            return Task.CompletedTask;
        });
        await app.StartAsync();
        var server = new Uri(app.Urls.First());

        await using var connection = await RawConnection.OpenAsync(server);
        await connection.SendAsync(Encoding.ASCII.GetBytes($"{method} / HTTP/1.1\r\nHost: {server.Authority}\r\n\r\n"));
        var bare = await connection.ReadAnswerAsync();
        await connection.SendAsync(Encoding.ASCII.GetBytes($"{method} / HTTP/1.1 x\r\nHost: {server.Authority}\r\n\r\n"));
        var rejected = await connection.ReadAnswerAsync();
        await app.StopAsync();

        Assert.Equal(400, bare.Status);
        Assert.Equal("0", bare.Headers["Content-Length"]);
        Assert.False(bare.Headers.ContainsKey("request-id"));
        Assert.Empty(bare.Body);
        Assert.Equal(400, rejected.Status);
        AssertEnvelope(rejected, "invalid_request_error");
    }

    [Fact]
    public async Task Writer_WhileTheApplicationResponds_PassesABodyless4xxThroughUnchanged()
    {
        var head = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nDate: Thu, 26 Nov 2026 12:00:00 GMT\r\n\r\n"u8.ToArray();
        var pipe = new Pipe();
        var writer = new RejectionEnvelopeWriter(pipe.Writer, new KestrelServerOptions().Limits);

        writer.ApplicationResponseStarted();
        var during = await WriteAndReadAsync(writer, pipe.Reader, head);
        writer.ApplicationResponseCompleted();
        var after = await WriteAndReadAsync(writer, pipe.Reader, head);

        Assert.Equal(head, during);
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\nContent-Length: ", Encoding.ASCII.GetString(after), StringComparison.Ordinal);
        Assert.NotEqual(head.Length, after.Length);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\n{}")]
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Length: 01\r\n\r\n")]
    [InlineData("HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 4")]
    public async Task Writer_WithNoApplicationResponse_LeavesAnythingButABodyless4xxAlone(string written)
    {
        var bytes = Encoding.ASCII.GetBytes(written);
        var pipe = new Pipe();
        var writer = new RejectionEnvelopeWriter(pipe.Writer, new KestrelServerOptions().Limits);

        Assert.Equal(bytes, await WriteAndReadAsync(writer, pipe.Reader, bytes));
    }

    private static async Task<byte[]> WriteAndReadAsync(PipeWriter writer, PipeReader reader, byte[] bytes)
    {
        // In two pieces, as Kestrel's header writer may commit them.
        writer.Write(bytes.AsSpan(0, bytes.Length / 2));
        writer.Write(bytes.AsSpan(bytes.Length / 2));
        await writer.FlushAsync();
        var result = await reader.ReadAsync();
        var read = result.Buffer.ToArray();
        reader.AdvanceTo(result.Buffer.End);
        return read;
    }

    private static async Task<RawHttp.Answer> SendOnNewConnectionAsync(ProxyHost proxy, string head)
    {
        await using var connection = await RawConnection.OpenAsync(proxy.BaseAddress);
        await connection.SendAsync(Encoding.Latin1.GetBytes(head));
        var answer = await connection.ReadAnswerAsync();
        Assert.True(await connection.ClosedWithNothingMoreAsync(), "Bytes followed the declared Content-Length.");
        return answer;
    }

    // A valid answer: the envelope as the whole body (its length is the Content-Length the reader used), JSON-typed,
    // the same request id in the header and the body, and not to be retried.
    private static void AssertEnvelope(RawHttp.Answer answer, string errorType)
    {
        Assert.Equal(errorType, answer.EnvelopeErrorType());
        Assert.Equal(answer.Body.Length.ToString(CultureInfo.InvariantCulture), answer.Headers["Content-Length"]);
        Assert.Equal("application/json", answer.Headers["Content-Type"]);
        Assert.Equal("false", answer.Headers["x-should-retry"]);
        using var json = JsonDocument.Parse(answer.Body);
        Assert.Equal(answer.Headers["request-id"], json.RootElement.GetProperty("request_id").GetString());
        Assert.False(string.IsNullOrWhiteSpace(json.RootElement.GetProperty("error").GetProperty("message").GetString()));
    }

    /// <summary>One kept-alive TCP connection: answers are read by their framing (Content-Length or chunked), one at a time.</summary>
    private sealed class RawConnection(TcpClient client) : IAsyncDisposable
    {
        private readonly NetworkStream _stream = client.GetStream();
        private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(20));
        private byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public static async Task<RawConnection> OpenAsync(Uri server)
        {
            var client = new TcpClient();
            await client.ConnectAsync(server.Host, server.Port);
            return new RawConnection(client);
        }

        public Task SendAsync(byte[] bytes) => _stream.WriteAsync(bytes, _timeout.Token).AsTask();

        public async Task<RawHttp.Answer> ReadAnswerAsync()
        {
            var head = Encoding.Latin1.GetString(await ReadUntilAsync("\r\n\r\n"u8.ToArray()));
            var lines = head.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }

            var body = new List<byte>();
            if (headers.TryGetValue("Content-Length", out var length))
            {
                body.AddRange(await TakeAsync(int.Parse(length, CultureInfo.InvariantCulture)));
            }
            else if (headers.TryGetValue("Transfer-Encoding", out var coding) && coding == "chunked")
            {
                int size;
                while ((size = int.Parse(Encoding.ASCII.GetString(await ReadUntilAsync("\r\n"u8.ToArray())).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture)) > 0)
                {
                    body.AddRange(await TakeAsync(size));
                    Assert.Equal("\r\n"u8.ToArray(), await TakeAsync(2));
                }

                Assert.Equal("\r\n"u8.ToArray(), await TakeAsync(2));
            }

            return new RawHttp.Answer(int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture), headers, [.. body]);
        }

        /// <summary>True when the server closes (or resets) the connection without another byte.</summary>
        public async Task<bool> ClosedWithNothingMoreAsync()
        {
            if (_end > _start)
            {
                return false;
            }

            try
            {
                return await _stream.ReadAsync(_buffer, _timeout.Token) == 0;
            }
            catch (IOException)
            {
                return true; // reset: Kestrel closed with request bytes it never read
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stream.DisposeAsync();
            client.Dispose();
            _timeout.Dispose();
        }

        // The bytes up to a delimiter, which is consumed too.
        private async Task<byte[]> ReadUntilAsync(byte[] delimiter)
        {
            int at;
            while ((at = _buffer.AsSpan(_start, _end - _start).IndexOf(delimiter)) < 0)
            {
                await FillAsync();
            }

            var taken = _buffer.AsSpan(_start, at).ToArray();
            _start += at + delimiter.Length;
            return taken;
        }

        private async Task<byte[]> TakeAsync(int count)
        {
            while (_end - _start < count)
            {
                await FillAsync();
            }

            var taken = _buffer.AsSpan(_start, count).ToArray();
            _start += count;
            return taken;
        }

        private async Task FillAsync()
        {
            if (_end == _buffer.Length)
            {
                var bigger = new byte[_buffer.Length * 2];
                _buffer.AsSpan(_start, _end - _start).CopyTo(bigger);
                (_buffer, _end, _start) = (bigger, _end - _start, 0);
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), _timeout.Token);
            if (read == 0)
            {
                throw new IOException("Connection closed mid-answer: " + Encoding.Latin1.GetString(_buffer, _start, _end - _start));
            }

            _end += read;
        }
    }
}
