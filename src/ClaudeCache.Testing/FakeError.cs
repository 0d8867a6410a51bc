namespace ClaudeCache.Testing;

/// <summary>An error the fake answers with instead of a message (docs/anthropic-wire.md §6).</summary>
/// <param name="Status">HTTP status, e.g. 529.</param>
/// <param name="Type"><c>error.type</c>, e.g. <c>overloaded_error</c>.</param>
/// <param name="Message"><c>error.message</c>.</param>
public sealed record FakeError(int Status, string Type, string Message)
{
    /// <summary>When set, sent as the <c>retry-after</c> header (seconds).</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>When set, sent as <c>x-should-retry: true|false</c>.</summary>
    public bool? ShouldRetry { get; init; }
}
