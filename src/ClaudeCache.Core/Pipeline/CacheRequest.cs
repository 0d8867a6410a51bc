using System.Buffers;
using System.Diagnostics;
using ClaudeCache.Anthropic;

namespace ClaudeCache.Pipeline;

/// <summary>
/// One request as every front end hands it to <see cref="CacheEngine.HandleAsync"/>: the route, the raw body bytes
/// (with the fingerprint computed while they were read, when the front end read them), and the request facts.
/// </summary>
/// <param name="Path">The route folded into the key (<c>/v1/messages</c> or <c>/v1/messages/count_tokens</c>).</param>
/// <param name="Endpoint">Messages or count_tokens.</param>
/// <param name="Body">The body as received; only read during <see cref="CacheEngine.HandleAsync"/>.</param>
/// <param name="Headers">The headers that shape the key and the policy.</param>
/// <param name="CreateSender">Makes the upstream call on a miss.</param>
public sealed record CacheRequest(string Path, RequestEndpoint Endpoint, ReadOnlySequence<byte> Body, RequestHeaders Headers, UpstreamSenderFactory CreateSender)
{
    /// <summary>The body's <see cref="BodyFingerprint"/>, when the front end computed it while reading; else computed on use.</summary>
    public ulong? Fingerprint { get; init; }

    /// <summary>
    /// The caller's trace context as its request carried it (W3C <c>traceparent</c>), for a front end whose caller is in
    /// another process (the proxy): the cache span's parent when no activity in this process records the request.
    /// Default: none; the current activity is the parent.
    /// </summary>
    public ActivityContext CallerTrace { get; init; }

    /// <summary>A request over a body already in memory.</summary>
    public CacheRequest(string path, RequestEndpoint endpoint, ReadOnlyMemory<byte> body, RequestHeaders headers, UpstreamSenderFactory createSender)
        : this(path, endpoint, new ReadOnlySequence<byte>(body), headers, createSender)
    {
    }
}
