using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace ClaudeCache.Testing;

/// <summary>Writes the fake's responses: JSON bodies, error envelopes and SSE streams, flushed as they go.</summary>
internal static class ResponseWriter
{
    private static readonly TimeSpan AbortGrace = TimeSpan.FromMilliseconds(100);

    public static Task JsonAsync(HttpContext context, int status, byte[] body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    public static Task ErrorAsync(HttpContext context, FakeError error, string requestId)
    {
        var headers = context.Response.Headers;
        if (error.RetryAfterSeconds is int seconds)
        {
            headers["retry-after"] = seconds.ToString(CultureInfo.InvariantCulture);
        }

        if (error.ShouldRetry is bool retry)
        {
            headers["x-should-retry"] = retry ? "true" : "false";
        }

        return JsonAsync(context, error.Status, WireJson.Error(error.Type, error.Message, requestId));
    }

    public static Task ErrorAsync(HttpContext context, int status, string type, string message, string requestId) =>
        ErrorAsync(context, new FakeError(status, type, message), requestId);

    /// <summary>
    /// Streams <paramref name="reply"/> as SSE. Each event is flushed on its own so a client can observe timing;
    /// scripted failures (mid-stream error, abrupt close) cut in after the configured number of events.
    /// </summary>
    public static async Task StreamAsync(HttpContext context, FakeReply reply, string requestId)
    {
        var ct = context.RequestAborted;
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(ct);
        await response.Body.FlushAsync(ct);

        var events = SsePlan.Build(reply);
        for (int i = 0; i < events.Count; i++)
        {
            if (reply.MidStreamErrorAfterEvents == i)
            {
                await WriteAndFlushAsync(response, SsePlan.FrameError(requestId), ct);
                return;
            }

            if (reply.AbruptCloseAfterEvents == i)
            {
                // A reset discards whatever the client has not read yet; a moment's grace lets the events already
                // flushed arrive, so the client sees a partial stream and then the failure.
                await Task.Delay(AbortGrace, ct);
                context.Abort();
                return;
            }

            if (i > 0 && reply.EventInterval > TimeSpan.Zero)
            {
                await Task.Delay(reply.EventInterval, ct);
            }

            await WriteAndFlushAsync(response, SsePlan.Frame(events[i], i, reply.PadEvents), ct);
        }
    }

    private static async Task WriteAndFlushAsync(HttpResponse response, byte[] bytes, CancellationToken ct)
    {
        await response.Body.WriteAsync(bytes, ct);
        await response.Body.FlushAsync(ct);
    }
}
