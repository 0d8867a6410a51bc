using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace ClaudeCache.LoadTest;

/// <summary>
/// Closed-loop load: <c>concurrency</c> workers each send one request at a time until <c>requests</c> have been
/// sent or the time limit passes. Latency is measured with <see cref="Stopwatch.GetTimestamp"/> from just before
/// the send to the last body byte (or to the first body byte, for time-to-first-byte runs).
/// </summary>
internal sealed class LoadRunner(HttpClient client, TimeSpan maxRunTime)
{
    /// <summary>A client for load: many pooled connections, no proxy, no decompression, no cookies.</summary>
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

    /// <summary>
    /// Sends <paramref name="requests"/> requests to <paramref name="target"/>/v1/messages with the bodies
    /// <paramref name="body"/> returns for each index.
    /// </summary>
    /// <remarks><paramref name="expectCache"/>, when set: a response whose <c>x-cache</c> differs counts as unexpected.</remarks>
    public async Task<RunResult> RunAsync(
        Uri target,
        Func<int, byte[]> body,
        int requests,
        int concurrency,
        bool timeToFirstByte,
        string? expectCache = null)
    {
        var uri = new Uri(target, "v1/messages");
        var latencies = new long[requests];
        var next = -1;
        var completed = 0;
        var failures = 0;
        var unexpected = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(maxRunTime.TotalSeconds * Stopwatch.Frequency);
        var buffer = new byte[Math.Max(concurrency, 1) * 16 * 1024];

        async Task WorkerAsync(int worker)
        {
            var scratch = buffer.AsMemory(worker * 16 * 1024, 16 * 1024);
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests && Stopwatch.GetTimestamp() < deadline)
            {
                var payload = body(index);
                using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(payload) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Add("x-api-key", "sk-ant-load-test");
                request.Headers.Add("anthropic-version", "2023-06-01");

                var started = Stopwatch.GetTimestamp();
                long stopped;
                try
                {
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    await using var stream = await response.Content.ReadAsStreamAsync();
                    var read = await stream.ReadAsync(scratch);
                    var firstByteAt = Stopwatch.GetTimestamp();
                    while (read > 0)
                    {
                        read = await stream.ReadAsync(scratch);
                    }

                    stopped = timeToFirstByte ? firstByteAt : Stopwatch.GetTimestamp();

                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref failures);
                        continue;
                    }

                    if (expectCache is not null
                        && (!response.Headers.TryGetValues("x-cache", out var values) || values.FirstOrDefault() != expectCache))
                    {
                        Interlocked.Increment(ref unexpected);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
                {
                    Interlocked.Increment(ref failures);
                    continue;
                }

                latencies[Interlocked.Increment(ref completed) - 1] = stopped - started;
            }
        }

        var cpuBefore = ProcessCpu();
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(() => WorkerAsync(w))));
        var elapsed = Stopwatch.GetTimestamp() - start;
        var cpu = ProcessCpu() - cpuBefore;

        var measured = latencies.AsSpan(0, completed).ToArray();
        Array.Sort(measured);
        return new RunResult(measured, elapsed, failures, unexpected, cpu);
    }

    private static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
