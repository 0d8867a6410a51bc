using ClaudeCache.Anthropic;
using ClaudeCache.Proxy.Pipeline;
using Microsoft.AspNetCore.WebUtilities;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// Every error the proxy's pipeline produces goes out in Anthropic's envelope, so SDKs parse it: Kestrel's
/// <see cref="BadHttpRequestException"/> raised while the body is read (bad chunking, a body that never arrives), a bare
/// status set by routing (404, 405), and an unexpected exception (500 naming the exception's type, instead of an empty
/// body; or, once the response has started, an aborted connection). Rejections Kestrel
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
#pragma warning disable CA1031 // The last resort: any exception still becomes an answer an SDK can parse, or a cut connection.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await HandleUnhandledAsync(context, ex).ConfigureAwait(false);
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

    /// <summary>
    /// An exception no handler dealt with. A caller that has gone away gets nothing. Otherwise it is
    /// logged once, here (it is not rethrown, so the server does not log it again), and: before the response has
    /// started, a 500 <c>api_error</c> naming the exception's type only (its message may carry data); once it has
    /// started, or once part of a body sits in the response's buffer (no envelope can follow it), the connection is
    /// aborted, so the caller never gets something that looks complete.
    /// </summary>
    private async Task HandleUnhandledAsync(HttpContext context, Exception exception)
    {
        var type = exception.GetType().Name;
        if (context.RequestAborted.IsCancellationRequested || exception is BadHttpRequestException)
        {
            // The caller went away, or sent a broken body after the answer had started: its doing, not a fault.
            Log.CallerGone(logger, type);
            context.Abort();
            return;
        }

        var response = context.Response;
        var started = response.HasStarted || HasBufferedBody(response);
        Log.Unhandled(logger, type, started ? "aborted the connection" : "answered 500 api_error", exception);
        if (started)
        {
            context.Abort();
            return;
        }

        try
        {
            response.Clear();
            await ProxyErrors.WriteAsync(context, StatusCodes.Status500InternalServerError, ErrorTypes.Api,
                $"The proxy failed to handle the request ({type}).", shouldRetry: true).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The envelope could not be written (the caller went away, the response broke): cut the connection.
        catch (Exception)
#pragma warning restore CA1031
        {
            context.Abort();
        }
    }

    // Bytes written to the response's pipe but not yet flushed: the response has not "started", yet they would go out
    // before anything written now, and cannot be taken back.
    private static bool HasBufferedBody(HttpResponse response)
    {
        var writer = response.BodyWriter;
        return writer.CanGetUnflushedBytes && writer.UnflushedBytes > 0;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "Bad request answered {Status}: {Reason}")]
        public static partial void BadRequest(ILogger logger, int status, string reason);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Unhandled {ExceptionType}; {Action}")]
        public static partial void Unhandled(ILogger logger, string exceptionType, string action, Exception exception);

        [LoggerMessage(EventId = 5003, Level = LogLevel.Debug, Message = "The request ended with {ExceptionType} after the caller went away or its answer had started; the connection is aborted")]
        public static partial void CallerGone(ILogger logger, string exceptionType);
    }
}
