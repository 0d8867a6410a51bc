using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ClaudeCache.Testing.Redis;

/// <summary>
/// Sends one command to a Redis server over a fresh TCP connection and returns the reply as text. Enough RESP for
/// fixtures (PING, CLUSTER INFO, CLUSTER KEYSLOT) without a Redis client library, so this project stays free of one.
/// </summary>
public static class RedisProbe
{
    /// <summary>
    /// Sends <paramref name="command"/> to 127.0.0.1:<paramref name="port"/>. Simple strings, errors (prefixed
    /// <c>-</c>), integers and bulk strings come back as their text; a null bulk string as null.
    /// </summary>
    public static async Task<string?> SendAsync(int port, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, cts.Token).ConfigureAwait(false);
        var stream = client.GetStream();

        var request = new StringBuilder();
        request.Append(CultureInfo.InvariantCulture, $"*{command.Count}\r\n");
        foreach (var part in command)
        {
            request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cts.Token).ConfigureAwait(false);

        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            var read = await stream.ReadAsync(buffer, cts.Token).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("Redis closed the connection before replying.");
            }

            received.AddRange(buffer.AsSpan(0, read));
            if (TryParse(received, out var reply))
            {
                return reply;
            }
        }
    }

    /// <summary>True when the server answers PING within <paramref name="timeout"/>.</summary>
    public static async Task<bool> PingAsync(int port, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            return await SendAsync(port, ["PING"], timeout, cancellationToken).ConfigureAwait(false) == "PONG";
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static bool TryParse(List<byte> data, out string? reply)
    {
        reply = null;
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(data);
        var lineEnd = span.IndexOf("\r\n"u8);
        if (lineEnd < 0)
        {
            return false;
        }

        var line = Encoding.UTF8.GetString(span[1..lineEnd]);
        switch ((char)span[0])
        {
            case '+':
            case ':':
                reply = line;
                return true;
            case '-':
                reply = "-" + line;
                return true;
            case '$':
                var length = int.Parse(line, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return true;
                }

                if (span.Length < lineEnd + 2 + length + 2)
                {
                    return false;
                }

                reply = Encoding.UTF8.GetString(span.Slice(lineEnd + 2, length));
                return true;
            default:
                throw new NotSupportedException($"RedisProbe does not parse replies of type '{(char)span[0]}'.");
        }
    }
}
