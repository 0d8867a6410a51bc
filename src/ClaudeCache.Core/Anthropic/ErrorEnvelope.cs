using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ClaudeCache.Anthropic;

/// <summary>Builds Anthropic's error body, so errors the proxy makes itself look like the API's to every SDK.</summary>
public static class ErrorEnvelope
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// <c>{"type":"error","error":{"type":"…","message":"…"},"request_id":"req_…"}</c> as compact UTF-8 JSON.
    /// </summary>
    /// <param name="errorType">One of <see cref="ErrorTypes"/>.</param>
    /// <param name="message">A human message; it is JSON-escaped here.</param>
    /// <param name="requestId">The id also sent in the <c>request-id</c> header (see <see cref="RequestIds.New"/>).</param>
    public static byte[] Create(string errorType, string message, string requestId)
    {
        ArgumentNullException.ThrowIfNull(errorType);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(requestId);

        var buffer = new ArrayBufferWriter<byte>(96 + message.Length + errorType.Length + requestId.Length);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "error"u8);
            writer.WriteStartObject("error"u8);
            writer.WriteString("type"u8, errorType);
            writer.WriteString("message"u8, message);
            writer.WriteEndObject();
            writer.WriteString("request_id"u8, requestId);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
