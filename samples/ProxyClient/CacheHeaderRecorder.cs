/// <summary>Remembers the proxy's <c>x-cache</c> response header, which the SDK's Message does not expose.</summary>
internal sealed class CacheHeaderRecorder : DelegatingHandler
{
    public string LastStatus { get; private set; } = "";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        LastStatus = response.Headers.TryGetValues("x-cache", out var values) ? string.Join(",", values) : "(no x-cache header)";
        return response;
    }
}
