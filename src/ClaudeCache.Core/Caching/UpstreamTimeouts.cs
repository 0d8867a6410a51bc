namespace ClaudeCache.Caching;

/// <summary>
/// How long an upstream call may stay silent, by phase and by form (see docs/decisions/0009-upstream-timeouts.md).
/// The first-byte bound runs from sending the request to the first byte of the response body (headers included);
/// the idle bound between two reads of the body after that. Both sit under the call's total timeout.
/// </summary>
/// <remarks>
/// A timeout that trips before any byte reached the caller becomes a 504 <c>timeout_error</c> with
/// <c>x-should-retry: true</c>; one that trips later aborts the stream. Either way nothing is stored.
/// <see cref="Timeout.InfiniteTimeSpan"/> turns a bound off.
/// </remarks>
public sealed record UpstreamTimeouts
{
    /// <summary>
    /// A streaming call's first byte. The API answers a stream's headers and first event as soon as it admits the
    /// request, before the answer is generated; only a very long prompt delays it. Default 2 minutes.
    /// </summary>
    public TimeSpan StreamFirstByte { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Silence between two reads of a stream. The API sends deltas as it generates and <c>ping</c> events in
    /// between, so a minute without a byte means a stalled connection. Default 1 minute.
    /// </summary>
    public TimeSpan StreamIdle { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A non-streaming call's first byte. The API sends nothing until the whole answer is generated, which for a
    /// large <c>max_tokens</c> takes minutes: a shorter bound would cut off good answers. Default 10 minutes, the
    /// bound Anthropic's own SDKs put on a non-streaming request.
    /// </summary>
    public TimeSpan MessageFirstByte { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Silence between two reads of a non-streaming body. The body is complete when its headers are sent, so it
    /// arrives at network speed. Default 1 minute.
    /// </summary>
    public TimeSpan MessageIdle { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The settings' problems, as sentences naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        Check(StreamFirstByte, nameof(StreamFirstByte));
        Check(StreamIdle, nameof(StreamIdle));
        Check(MessageFirstByte, nameof(MessageFirstByte));
        Check(MessageIdle, nameof(MessageIdle));
        return problems;

        void Check(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            {
                problems.Add($"UpstreamTimeouts.{name} must be positive (or infinite).");
            }
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing the problems, if any.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems));
        }
    }
}
