namespace ClaudeCache;

/// <summary>
/// Sends the request upstream and returns the response once its headers arrive (the body is read as it streams).
/// The proxy sends through its <c>HttpClient</c>; the in-process handler through the next handler in its chain.
/// </summary>
public delegate Task<HttpResponseMessage> UpstreamSend(CancellationToken cancellationToken);
