using ClaudeCache.Anthropic;
using ClaudeCache.Proxy.Pipeline;
using Microsoft.AspNetCore.WebUtilities;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// Every error the proxy's pipeline produces goes out in Anthropic's envelope, so SDKs parse it: Kestrel's
/// <see cref="BadHttpRequestException"/> raised while the body is read (bad chunking, a body that never arrives), a bare
/// status set by routing (404, 405), and an unexpected exception (500 instead of an empty body). Rejections Kestrel
/// makes while parsing the request line and headers never reach any middleware: <see cref="RejectionEnvelopeWriter"/>
/// gives those the envelope.
/// </summary>
internal sealed partial class ErrorEnvelopeMiddleware(RequestDelegate next, ILogger<ErrorEnvelopeMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            Log.BadRequest(logger, ex.StatusCode, ex.Message);
            context.Response.Clear();
            await ProxyErrors.WriteAsync(context, ex.StatusCode, ProxyErrors.ErrorTypeOf(ex.StatusCode), ex.Message, shouldRetry: false).ConfigureAwait(false);
            return;
        }
#pragma warning disable CA1031 // The last resort: any exception still becomes an answer an SDK can parse.
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
#pragma warning restore CA1031
        {
            Log.Unhandled(logger, ex);
            context.Response.Clear();
            await ProxyErrors.WriteAsync(context, StatusCodes.Status500InternalServerError, ErrorTypes.Api,
                "The proxy failed to handle the request.", shouldRetry: true).ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        if (!response.HasStarted && response.StatusCode >= 400 && response.ContentLength is null or 0 && response.ContentType is null)
        {
            // A status without a body (no route, wrong method): nothing was written, so the envelope can be.
            var status = response.StatusCode;
            await ProxyErrors.WriteAsync(context, status, ProxyErrors.ErrorTypeOf(status),
                $"{ReasonPhrases.GetReasonPhrase(status)}: {context.Request.Method} {context.Request.Path}", shouldRetry: status >= 500).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "Bad request answered {Status}: {Reason}")]
        public static partial void BadRequest(ILogger logger, int status, string reason);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Unhandled exception; answered 500 api_error")]
        public static partial void Unhandled(ILogger logger, Exception exception);
    }
}
