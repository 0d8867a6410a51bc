namespace ClaudeCache.Pipeline;

/// <summary>
/// Makes the upstream call for a miss from the body to send (the caller's bytes, or a copy with planned prompt-cache
/// breakpoints). Each front end sends its own way: the proxy through its <c>HttpClient</c>, the handler through the
/// next handler, <c>GetOrCallAsync</c> through the caller's delegate. Called at most once, only on a miss.
/// </summary>
public delegate UpstreamSend UpstreamSenderFactory(ReadOnlyMemory<byte> upstreamBody);
