using System.Diagnostics;
using System.Net;
using ClaudeCache.Extensions.AI;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>
/// Every other <c>/v1/...</c> request (models, batches, files) goes to the upstream untouched, through YARP's
/// forwarder: streaming bodies, hop-by-hop rules and error mapping are its job, not ours.
/// </summary>
internal sealed class PassThroughEndpoint(IHttpForwarder forwarder, IOptions<ProxyOptions> options, IOptions<ClaudeCacheOptions> engine, ILogger<PassThroughEndpoint> logger, TimeProvider timeProvider) : IDisposable
{
    private readonly UpstreamFailureLog _upstreamFailures = new(logger, timeProvider);
    private readonly string _upstream = options.Value.Upstream.TrimEnd('/') + "/";
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        RequestHeaderEncodingSelector = UpstreamRequest.HeaderEncoding,
        ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
        ConnectTimeout = options.Value.UpstreamConnectTimeout,
    });

    private readonly ForwarderRequestConfig _config = new() { ActivityTimeout = engine.Value.UpstreamTimeout };

    public void Dispose() => _invoker.Dispose();

    public async Task HandleAsync(HttpContext context)
    {
        var error = await forwarder.SendAsync(context, _upstream, _invoker, _config, HttpTransformer.Default).ConfigureAwait(false);
        if (error == ForwarderError.RequestBodyClient && !context.Response.HasStarted)
        {
            // The client's body was bad (chunking, length) or stopped coming: its fault, not the upstream's.
            var bad = context.Features.Get<IForwarderErrorFeature>()?.Exception as BadHttpRequestException;
            context.Response.Clear();
            await ProxyErrors.WriteAsync(context, bad?.StatusCode ?? StatusCodes.Status400BadRequest, Anthropic.ErrorTypes.InvalidRequest,
                "The request body could not be read: " + (bad?.Message ?? "the client stopped sending it."), shouldRetry: false).ConfigureAwait(false);
        }
        else if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            var timedOut = error == ForwarderError.RequestTimedOut;
            if (context.Features.Get<IForwarderErrorFeature>()?.Exception is { } exception)
            {
                _upstreamFailures.Report(exception, timedOut);
            }

            context.Response.Clear();
            await ProxyErrors.WriteAsync(context, timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway,
                timedOut ? Anthropic.ErrorTypes.Timeout : Anthropic.ErrorTypes.Api,
                timedOut ? "The upstream API did not answer in time." : "The upstream API could not be reached.", shouldRetry: true).ConfigureAwait(false);
        }
    }
}
