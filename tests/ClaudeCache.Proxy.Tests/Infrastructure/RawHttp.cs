using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace ClaudeCache.Proxy.Tests.Infrastructure;

/// <summary>
/// Raw bytes over a TCP socket, for requests no HTTP client would send (bad chunking, NUL in a header, a body that
/// never comes). Reads the answer up to its Content-Length or until the server closes the connection.
/// </summary>
public static class RawHttp
{
    public sealed record Answer(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
    {
        public string BodyText => Encoding.UTF8.GetString(Body);

        /// <summary>The error envelope's error.type, or null when the body is not Anthropic's envelope.</summary>
        public string? EnvelopeErrorType()
        {
            try
            {
                using var json = JsonDocument.Parse(Body);
                var root = json.RootElement;
                return root.GetProperty("type").GetString() == "error"
                    && root.GetProperty("request_id").GetString()!.StartsWith("req_", StringComparison.Ordinal)
                    && root.GetProperty("error").GetProperty("message").ValueKind == JsonValueKind.String
                    ? root.GetProperty("error").GetProperty("type").GetString()
                    : null;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                return null;
            }
        }
    }

    /// <summary>Sends <paramref name="head"/> then <paramref name="body"/> and reads one answer.</summary>
    public static async Task<Answer> SendAsync(Uri server, string head, byte[]? body = null, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head), cts.Token);
        if (body is not null)
        {
            await stream.WriteAsync(body, cts.Token);
        }

        await stream.FlushAsync(cts.Token);
        return await ReadAnswerAsync(stream, cts.Token);
    }

    /// <summary>A request head with a body of <paramref name="contentLength"/> bytes (or chunked when null) on a new connection.</summary>
    public static string Head(string method, string path, Uri server, string? extraHeaders = null, long? contentLength = null, bool chunked = false) =>
        $"{method} {path} HTTP/1.1\r\nHost: {server.Authority}\r\nx-api-key: sk-ant-test-key-1\r\nanthropic-version: 2023-06-01\r\n"
        + "content-type: application/json\r\n"
        + (chunked ? "Transfer-Encoding: chunked\r\n" : "")
        + (contentLength is { } length ? $"Content-Length: {length}\r\n" : "")
        + (extraHeaders ?? "")
        + "\r\n";

    private static async Task<Answer> ReadAnswerAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int headEnd;
        while ((headEnd = IndexOf(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), "\r\n\r\n"u8)) < 0)
        {
            var read = await stream.ReadAsync(chunk, ct);
            if (read == 0)
            {
                throw new IOException("Connection closed before a response head: " + Encoding.Latin1.GetString(buffer.ToArray()));
            }

            buffer.Write(chunk, 0, read);
        }

        var all = buffer.ToArray();
        var lines = Encoding.Latin1.GetString(all, 0, headEnd).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        var body = new MemoryStream();
        body.Write(all, headEnd + 4, all.Length - headEnd - 4);
        var expected = headers.TryGetValue("Content-Length", out var value) ? long.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : long.MaxValue;
        while (body.Length < expected)
        {
            var read = await stream.ReadAsync(chunk, ct);
            if (read == 0)
            {
                break;
            }

            body.Write(chunk, 0, read);
        }

        return new Answer(status, headers, body.ToArray());
    }

    private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);
}
