using System.Buffers.Text;
using System.Globalization;
using System.Text;
using ClaudeCache.Anthropic;
using ClaudeCache.Proxy.Pipeline;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// Kestrel's own answer to a request it refused while parsing the request line and headers (431, 400, 414, 408),
/// rewritten with Anthropic's error envelope as its body. Kestrel writes such an answer as a bare head:
/// <c>HTTP/1.1 4xx Reason</c>, its headers with <c>Content-Length: 0</c>, then the blank line, and nothing else.
/// </summary>
internal static class KestrelRejection
{
    private static ReadOnlySpan<byte> StatusLineStart => "HTTP/1.1 4"u8;

    private static ReadOnlySpan<byte> EmptyLength => "\r\nContent-Length: 0\r\n"u8;

    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    /// <summary>
    /// The same answer with the envelope, or null when <paramref name="written"/> is not exactly a bodyless 4xx head
    /// (then it is sent unchanged).
    /// </summary>
    public static byte[]? WithEnvelope(ReadOnlySpan<byte> written, KestrelServerLimits limits)
    {
        if (!written.StartsWith(StatusLineStart) || written.IndexOf(HeadEnd) != written.Length - HeadEnd.Length
            || !Utf8Parser.TryParse(written.Slice(StatusLineStart.Length - 1, 3), out int status, out var digits) || digits != 3)
        {
            return null;
        }

        var lengthAt = written.IndexOf(EmptyLength);
        if (lengthAt < 0)
        {
            return null;
        }

        var requestId = RequestIds.New();
        var body = ErrorEnvelope.Create(ProxyErrors.ErrorTypeOf(status), MessageOf(status, ReasonOf(written), limits), requestId);
        var headers = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"\r\nContent-Length: {body.Length}\r\nContent-Type: application/json\r\n{ProxyHeaders.RequestId}: {requestId}\r\n{ProxyHeaders.ShouldRetry}: false\r\n"));
        return [.. written[..lengthAt], .. headers, .. written[(lengthAt + EmptyLength.Length)..], .. body];
    }

    private static string MessageOf(int status, string reason, KestrelServerLimits limits) => status switch
    {
        StatusCodes.Status400BadRequest =>
            "The request line or headers could not be parsed (for example a NUL byte or bytes that are not UTF-8 in a header, or an invalid or repeated Content-Length).",
        StatusCodes.Status408RequestTimeout => "The request headers were not received in time.",
        StatusCodes.Status414UriTooLong => string.Create(CultureInfo.InvariantCulture,
            $"The request line is too long (limit {limits.MaxRequestLineSize / 1024} KB)."),
        StatusCodes.Status431RequestHeaderFieldsTooLarge => string.Create(CultureInfo.InvariantCulture,
            $"The request headers are too large (limit {limits.MaxRequestHeadersTotalSize / 1024} KB and {limits.MaxRequestHeaderCount} headers)."),
        _ => string.Create(CultureInfo.InvariantCulture, $"The request was refused before it reached the proxy: {status} {reason}."),
    };

    // "HTTP/1.1 405 Method Not Allowed\r\n…" → "Method Not Allowed".
    private static string ReasonOf(ReadOnlySpan<byte> head)
    {
        var line = head[..head.IndexOf("\r\n"u8)];
        return line.Length > 13 ? Encoding.ASCII.GetString(line[13..]) : "";
    }
}
