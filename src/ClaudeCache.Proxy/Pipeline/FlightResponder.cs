using ClaudeCache.Caching;
using Microsoft.AspNetCore.Http.Features;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>
/// Step 8, the caller's side: follows a flight's bytes to one caller as they arrive, flushing after each chunk,
/// so a streamed miss reaches the client with no buffering. The leader and every coalesced follower use it.
/// </summary>
internal static class FlightResponder
{
    /// <summary>
    /// Writes the flight to the caller. Returns false, having written nothing, when the flight's form (stream or
    /// JSON) differs from the caller's and its answer cannot be rendered for it (the caller then calls alone).
    /// </summary>
    public static async Task<bool> WriteAsync(HttpContext context, Flight flight, bool wantsStream, Action<HttpResponse> addCacheHeaders, TimeProvider time)
    {
        var cancellationToken = context.RequestAborted;
        var head = await flight.Head.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (flight.Streaming != wantsStream && head.StatusCode == StatusCodes.Status200OK)
        {
            // A stream recorded for one caller answers a JSON caller (and the other way round) once complete.
            var outcome = await flight.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (outcome.Response is null)
            {
                return false;
            }

            addCacheHeaders(context.Response);
            await ResponseRenderer.WriteAsync(context, outcome.Response, wantsStream, time.GetUtcNow()).ConfigureAwait(false);
            return true;
        }

        var response = context.Response;
        response.StatusCode = head.StatusCode;
        foreach (var (name, values) in head.Headers)
        {
            response.Headers[name] = values;
        }

        addCacheHeaders(response);
        if (head.IsEventStream)
        {
            // No response buffering anywhere between the upstream and this caller.
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        }

        var position = 0;
        while (true)
        {
            var read = await flight.Body.ReadAsync(position, cancellationToken).ConfigureAwait(false);
            if (read.IsCompleted)
            {
                if (read.Fault is not null)
                {
                    // The upstream broke off: so does this response, rather than look complete.
                    context.Abort();
                }

                return true;
            }

            await response.Body.WriteAsync(read.Data, cancellationToken).ConfigureAwait(false);
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            position += read.Data.Length;
        }
    }
}
