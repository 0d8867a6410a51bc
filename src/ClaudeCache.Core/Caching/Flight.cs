namespace ClaudeCache.Caching;

/// <summary>
/// One upstream call that any number of identical concurrent requests share. The first caller starts it; the
/// call runs detached from every caller, so a caller that disconnects does not cancel it for the others, and its
/// complete answer is still stored.
/// </summary>
public sealed class Flight
{
    private readonly TaskCompletionSource<FlightHead> _head = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<FlightOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates a flight for a request that asked for a stream or not.</summary>
    public Flight(bool streaming) => Streaming = streaming;

    /// <summary>Whether the upstream request asked for a stream.</summary>
    public bool Streaming { get; }

    /// <summary>
    /// Whether the proxy placed the upstream call's <c>cache_control</c> markers (not the caller): the ledger then
    /// records what the call would have cost without them.
    /// </summary>
    public bool ProxyPlacedBreakpoints => PromptCache is { Marked: true };

    /// <summary>The upstream status and headers, once they arrive.</summary>
    public Task<FlightHead> Head => _head.Task;

    /// <summary>The prompt-cache planner's decisions for the call, when it placed breakpoints.</summary>
    public PromptCaching.PromptCacheCall? PromptCache { get; internal set; }

    /// <summary>The response body as it arrives.</summary>
    public ChunkBuffer Body { get; } = new();

    /// <summary>
    /// True once the whole answer is in <see cref="Body"/> or on its way into it — its declared length, its stream's
    /// <c>message_stop</c>, or its end arrived — though it may not be judged and stored yet. A caller that finds the
    /// flight now came after the answer, not during it: it waits for <see cref="Outcome"/> and is answered as any
    /// later caller is, from the cache.
    /// </summary>
    public bool IsAnswered => Volatile.Read(ref _answered) || Body.IsCompleted;

    private bool _answered;

    /// <summary>Marks the answer as whole before its last bytes reach any caller.</summary>
    internal void MarkAnswered() => Volatile.Write(ref _answered, true);

    /// <summary>Completes when the body is complete and the answer has been judged (and handed to the store).</summary>
    public Task<FlightOutcome> Outcome => _outcome.Task;

    /// <summary>Number of callers that joined this flight after it started.</summary>
    public int Followers => Volatile.Read(ref _followers);

    private int _followers;

    internal void AddFollower() => Interlocked.Increment(ref _followers);

    /// <summary>Publishes the status and headers.</summary>
    public void SetHead(FlightHead head) => _head.TrySetResult(head);

    /// <summary>Publishes the final judgement.</summary>
    public void SetOutcome(FlightOutcome outcome) => _outcome.TrySetResult(outcome);
}
