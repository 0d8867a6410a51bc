using ClaudeCache.Anthropic;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>Errors the proxy answers itself, in Anthropic's envelope, so every SDK parses them.</summary>
internal static class ProxyErrors
{
    public static async Task WriteAsync(HttpContext context, int status, string errorType, string message, bool? shouldRetry = null)
    {
        var requestId = RequestIds.New();
        var body = ErrorEnvelope.Create(errorType, message, requestId);
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        response.Headers[ProxyHeaders.RequestId] = requestId;
        if (shouldRetry is { } retry)
        {
            response.Headers[ProxyHeaders.ShouldRetry] = retry ? "true" : "false";
        }

        await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// A request refused because the proxy is at one of its bounds (<see cref="RequestLimits"/>): 503
    /// <c>overloaded_error</c>, which every official SDK retries, after the <c>retry-after</c> it sends.
    /// </summary>
    public static Task Overloaded(HttpContext context, string message)
    {
        context.Response.Headers.RetryAfter = RequestLimits.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorTypes.Overloaded, message, shouldRetry: true);
    }

    /// <summary>The envelope's <c>error.type</c> for a status the proxy or Kestrel answers without a type of its own.</summary>
    public static string ErrorTypeOf(int status) => status switch
    {
        StatusCodes.Status404NotFound => ErrorTypes.NotFound,
        StatusCodes.Status413PayloadTooLarge or StatusCodes.Status414UriTooLong or StatusCodes.Status431RequestHeaderFieldsTooLarge => ErrorTypes.RequestTooLarge,
        < 500 => ErrorTypes.InvalidRequest,
        _ => ErrorTypes.Api,
    };

    public static Task InvalidRequest(HttpContext context, string message) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, ErrorTypes.InvalidRequest, message, shouldRetry: false);
}
