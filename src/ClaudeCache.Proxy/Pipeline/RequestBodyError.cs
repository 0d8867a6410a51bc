namespace ClaudeCache.Proxy.Pipeline;

/// <summary>Why <see cref="RequestBody.ReadAsync"/> returned no body.</summary>
internal enum RequestBodyError
{
    /// <summary>The body was read.</summary>
    None,

    /// <summary>Over <c>MaxRequestBodyBytes</c>: 413 <c>request_too_large</c>.</summary>
    TooLarge,

    /// <summary>No room under <c>MaxInFlightRequestBodyBytes</c>: 503 <c>overloaded_error</c>.</summary>
    Overloaded,

    /// <summary>The client's framing is broken: Kestrel's 400 or 408.</summary>
    Malformed,
}
