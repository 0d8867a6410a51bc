using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ClaudeCache.Proxy.Pipeline;

namespace ClaudeCache.Proxy.Admin;

/// <summary>How the admin API answers: whole JSON bodies, and a 503 envelope when a store it reads fails.</summary>
internal static class AdminResponses
{
    /// <summary>
    /// Writes <paramref name="value"/> as the 200 answer, serialized whole before a byte goes out: a value that cannot
    /// be written fails before the response has a body, so the error middleware can still answer in the envelope
    /// (a serializer writing into the response would leave half a body behind it, which no envelope can follow).
    /// </summary>
    public static async Task WriteJsonAsync<T>(HttpContext context, T value, JsonTypeInfo<T> typeInfo)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// True for an exception from a store read that the caller should see as "the store failed": anything but the
    /// cancellation of a caller that has gone away.
    /// </summary>
    public static bool IsStoreFailure(Exception exception, HttpContext context) =>
        exception is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested;

    /// <summary>
    /// 503 <c>api_error</c> with <c>x-should-retry: true</c>: the store failed while <paramref name="reading"/>. The
    /// message names the exception's type only (its message may carry a host name or data).
    /// </summary>
    public static Task StoreFailedAsync(HttpContext context, string reading, Exception exception) =>
        ProxyErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Anthropic.ErrorTypes.Api,
            $"The store failed while {reading} ({exception.GetType().Name}). Try again.", shouldRetry: true);
}
