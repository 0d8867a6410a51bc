using ClaudeCache.Costs;
using Microsoft.Extensions.AI;

namespace ClaudeCache.Extensions.AI.Chat;

/// <summary>
/// What one streamed chat call did, gathered while it streams, for its ledger entry: how it was served, the model
/// and usage its answer reported (the stored answer's for a hit), when its first update came and whether it ran to
/// its end.
/// </summary>
internal sealed class ChatStreamMeter(long startedAt)
{
    private long? _firstUpdateAt;

    /// <summary>Hit, Miss or Bypass once known; null while the cache is consulted (an error then).</summary>
    public LedgerOutcome? Outcome { get; set; }

    /// <summary>The answer's model id, once reported.</summary>
    public string? ModelId { get; set; }

    /// <summary>The answer's usage, once reported.</summary>
    public UsageDetails? Usage { get; set; }

    /// <summary>True when the stream ran to its end.</summary>
    public bool Completed { get; set; }

    /// <summary>Notes an update received from the inner client.</summary>
    public void Observe(ChatResponseUpdate update, TimeProvider time)
    {
        _firstUpdateAt ??= time.GetTimestamp();
        ModelId ??= update.ModelId;
        Usage = ChatUsage.Sum(Usage, update);
    }

    /// <summary>Notes the first update of a replayed answer.</summary>
    public void FirstUpdate(TimeProvider time)
    {
        _firstUpdateAt ??= time.GetTimestamp();
    }

    /// <summary>The time to the first update (as the handler measures a stream: to its headers), or to now without one.</summary>
    public TimeSpan Latency(TimeProvider time) =>
        _firstUpdateAt is { } first ? time.GetElapsedTime(startedAt, first) : time.GetElapsedTime(startedAt);
}
