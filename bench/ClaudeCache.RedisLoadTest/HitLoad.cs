using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace ClaudeCache.RedisLoadTest;

/// <summary>
/// Closed-loop load over one or more instances: worker <c>w</c> sends to instance <c>w % n</c>, one request at a
/// time, until <c>requests</c> have been sent or the time limit passes. Bodies rotate over a fixed set of warm
/// prompts. Latency is <see cref="Stopwatch.GetTimestamp"/> from just before the send to the last body byte.
/// </summary>
internal sealed class HitLoad(HttpClient client, IReadOnlyList<byte[]> bodies, TimeSpan maxRunTime)
{
    /// <summary>A client for load: many pooled connections per instance, no proxy, no decompression, no cookies.</summary>
    public static HttpClient CreateClient(int connections) =>
        new(new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = Math.Max(connections, 1) * 2,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>Sends one request; returns the x-cache header (null on failure).</summary>
    public async Task<string?> SendOnceAsync(Uri instance, byte[] body)
    {
        using var request = Request(new Uri(instance, "v1/messages"), body);
        using var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        return response.StatusCode == HttpStatusCode.OK && response.Headers.TryGetValues("x-cache", out var values) ? values.FirstOrDefault() : null;
    }

    public async Task<Sample> RunAsync(IReadOnlyList<Uri> instances, int requests, int concurrency)
    {
        var uris = instances.Select(i => new Uri(i, "v1/messages")).ToArray();
        var latencies = new long[requests];
        var next = -1;
        var completed = 0;
        var failures = 0;
        var unexpected = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(maxRunTime.TotalSeconds * Stopwatch.Frequency);

        async Task WorkerAsync(int worker)
        {
            var scratch = new byte[16 * 1024];
            var uri = uris[worker % uris.Length];
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests && Stopwatch.GetTimestamp() < deadline)
            {
                using var request = Request(uri, bodies[index % bodies.Count]);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    await using var stream = await response.Content.ReadAsStreamAsync();
                    while (await stream.ReadAsync(scratch) > 0)
                    {
                    }

                    var stopped = Stopwatch.GetTimestamp();
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref failures);
                        continue;
                    }

                    if (!response.Headers.TryGetValues("x-cache", out var values) || values.FirstOrDefault() != "HIT")
                    {
                        Interlocked.Increment(ref unexpected);
                    }

                    latencies[Interlocked.Increment(ref completed) - 1] = stopped - started;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }

        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(() => WorkerAsync(w))));
        var elapsed = Stopwatch.GetTimestamp() - start;
        var measured = latencies.AsSpan(0, completed).ToArray();
        Array.Sort(measured);
        return new Sample(measured, elapsed, failures, unexpected);
    }

    private static HttpRequestMessage Request(Uri uri, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("x-api-key", "sk-ant-load-test");
        request.Headers.Add("anthropic-version", "2023-06-01");
        return request;
    }
}
