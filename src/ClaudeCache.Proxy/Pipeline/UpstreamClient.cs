using ClaudeCache.Proxy.Hosting;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>Sends copied requests to the configured upstream through a pooled <see cref="HttpClient"/>.</summary>
internal sealed class UpstreamClient(IHttpClientFactory httpClientFactory, IOptions<ProxyOptions> options)
{
    public const string HttpClientName = "upstream";

    private readonly Uri _upstream = new(options.Value.Upstream.TrimEnd('/') + "/");

    public UpstreamSend Sender(UpstreamRequest request) => async cancellationToken =>
    {
        // The message holds only the copied body (no resources to release early); the response owns the connection.
        var message = request.ToHttpRequest(_upstream);
        return await httpClientFactory.CreateClient(HttpClientName)
            .SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    };
}
