using System.Buffers;
using System.IO.Pipelines;

namespace ClaudeCache.Proxy.Pipeline;

/// <summary>Step 1: reads a request body once, bounded in size.</summary>
internal static class RequestBody
{
    /// <summary>Returns the body, or null when it is larger than <paramref name="limit"/>.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > limit)
        {
            return null;
        }

        var reader = request.BodyReader;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                // Kestrel's own limit (set just above ours) tripped first on a chunked body.
                return null;
            }

            var buffer = result.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return null;
            }

            if (result.IsCompleted)
            {
                var bytes = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return bytes;
            }

            // Keep everything; ask for more.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
