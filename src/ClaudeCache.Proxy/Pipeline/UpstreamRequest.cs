using System.Text;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>
/// Everything needed to call the upstream, copied out of the caller's request so the call can outlive it
/// (a coalesced call continues when its first caller disconnects).
/// </summary>
internal sealed class UpstreamRequest
{
    private UpstreamRequest(string pathAndQuery, ReadOnlyMemory<byte> body, List<KeyValuePair<string, string[]>> headers)
    {
        PathAndQuery = pathAndQuery;
        Body = body;
        Headers = headers;
    }

    /// <summary>
    /// The encoding of forwarded header values: UTF-8, the encoding Kestrel decoded them with, so a non-ASCII value
    /// (<c>user-agent: MyApp/1.0 (Zürich)</c>) reaches the upstream as the bytes the client sent. Without it
    /// HttpClient refuses any non-ASCII value and the call fails before it is made.
    /// </summary>
    public static readonly HeaderEncodingSelector<HttpRequestMessage> HeaderEncoding = static (_, _) => Encoding.UTF8;

    public string PathAndQuery { get; }

    public ReadOnlyMemory<byte> Body { get; }

    public IReadOnlyList<KeyValuePair<string, string[]>> Headers { get; }

    public static UpstreamRequest From(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        var headers = new List<KeyValuePair<string, string[]>>(request.Headers.Count);
        foreach (var header in request.Headers)
        {
            if (ProxyHeaders.ForwardRequestHeader(header.Key))
            {
                headers.Add(new KeyValuePair<string, string[]>(header.Key, header.Value.ToArray()!));
            }
        }

        return new UpstreamRequest(request.Path.Value + request.QueryString.Value, body, headers);
    }

    public HttpRequestMessage ToHttpRequest(Uri upstream)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(upstream, PathAndQuery))
        {
            Version = System.Net.HttpVersion.Version11,
            Content = new ReadOnlyMemoryContent(Body),
        };
        message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        foreach (var (name, values) in Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, values))
            {
                message.Content.Headers.TryAddWithoutValidation(name, values);
            }
        }

        return message;
    }
}
