using System.Security.Cryptography;
using System.Text;
using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Pipeline;
using ClaudeCache.Policy;
using Microsoft.Extensions.AI;

namespace ClaudeCache.Extensions.AI.Chat;

/// <summary>
/// Records the chat middleware's calls in the savings ledger through the engine's <see cref="LedgerRecorder"/>, the
/// one the proxy, the handler and <c>GetOrCallAsync</c> record through: one entry per call, priced with the same
/// table. A hit avoided its answer's usage at today's prices; a call answered by the inner client spent its usage.
/// </summary>
/// <remarks>
/// A chat call is not a Messages API request, so some dimensions are the middleware's own: the strategy is
/// <see cref="ClaudeCacheChatOptions.Strategy"/>, the context type is empty (chat calls declare none), and the tenant
/// is a 12-hex-digit hash of <see cref="ClaudeCacheChatOptions.Partition"/> (a partition may be a user id; only its
/// hash is written). The model is the answer's <see cref="ChatResponse.ModelId"/>, else the one the call asked for,
/// else the inner client's default.
/// </remarks>
internal sealed class ChatAccounting(LedgerRecorder recorder, ClaudeCacheChatOptions settings, IChatClient inner)
{
    private const int TenantTagLength = 12;

    // Domain separation: the tag of a chat partition is unrelated to any other hash of the same text.
    private static ReadOnlySpan<byte> Domain => "claudecache-chat-partition-v1\0"u8;

    private Filed? _filed;

    /// <summary>The ledger's clock: latencies are measured with it.</summary>
    public TimeProvider Time => recorder.Time;

    /// <summary>A call answered from the cache (a stored entry, or an identical call in flight).</summary>
    public void Hit(string? model, UsageDetails? usage, ChatOptions? options, TimeSpan latency) =>
        recorder.RecordHit(Dimensions(), Model(model, options), ChatUsage.ToTokenUsage(usage), latency);

    /// <summary>A call answered by the inner client: <see cref="LedgerOutcome.Miss"/>, or <see cref="LedgerOutcome.Bypass"/> when it could not be cached.</summary>
    public void Answered(LedgerOutcome outcome, string? model, UsageDetails? usage, ChatOptions? options, TimeSpan latency) =>
        recorder.RecordUpstream(Dimensions(), outcome, Model(model, options), ChatUsage.ToTokenUsage(usage), latency);

    /// <summary>A call that ended without an answer (the inner client failed, or the caller cancelled): spend unknown, 0.</summary>
    public void Failed(ChatOptions? options, TimeSpan latency) =>
        recorder.RecordUpstream(Dimensions(), LedgerOutcome.Error, Model(null, options), null, latency);

    /// <summary>
    /// A call that followed a flight (led or joined), recorded once the flight is judged: a hit when it shared the call
    /// or the answer came from another instance, <paramref name="status"/> for a leader, an error when the call ended
    /// without an answer — whether or not this caller stayed for it.
    /// </summary>
    public void WhenJudged(Flight flight, CacheStatus status, ChatOptions? options, TimeSpan latency, ChatCodec codec) =>
        recorder.RecordWhenJudged(flight, status.ToLedger(), (outcome, answer) =>
        {
            if (answer is null)
            {
                Failed(options, latency);
                return;
            }

            var (model, usage) = codec.Describe(answer);
            if (outcome == LedgerOutcome.Hit)
            {
                Hit(model, usage, options, latency);
            }
            else
            {
                Answered(outcome, model, usage, options, latency);
            }
        });

    /// <summary>A call whose outcome a stream reported (<see cref="ChatStreamMeter"/>).</summary>
    public void Streamed(ChatStreamMeter meter, ChatOptions? options)
    {
        var latency = meter.Latency(recorder.Time);
        switch (meter.Outcome)
        {
            case LedgerOutcome.Hit:
                Hit(meter.ModelId, meter.Usage, options, latency);
                break;
            case LedgerOutcome.Miss or LedgerOutcome.Bypass when meter.Completed || meter.Usage is not null:
                // A stream left before its end still cost what it reported; one without a report is unknown.
                Answered(meter.Outcome.Value, meter.ModelId, meter.Usage, options, latency);
                break;
            default:
                Failed(options, latency);
                break;
        }
    }

    private string Model(string? answered, ChatOptions? options)
    {
        if (!string.IsNullOrEmpty(answered))
        {
            return answered;
        }

        if (!string.IsNullOrEmpty(options?.ModelId))
        {
            return options.ModelId;
        }

        // Rare (the answer and the call both name none): asked when needed, not kept.
        return (inner.GetService(typeof(ChatClientMetadata)) as ChatClientMetadata)?.DefaultModelId ?? "";
    }

    private LedgerDimensions Dimensions()
    {
        // The options object is the caller's and may change; the tag is recomputed only when its inputs do.
        var partition = settings.Partition ?? "";
        var strategy = settings.Strategy;
        var filed = Volatile.Read(ref _filed);
        if (filed is null || filed.Strategy != strategy || !string.Equals(filed.Partition, partition, StringComparison.Ordinal))
        {
            filed = new Filed(partition, strategy, new LedgerDimensions(StrategyNames.ToHeader(strategy), "", TenantTag(partition)));
            Volatile.Write(ref _filed, filed);
        }

        return filed.Dimensions;
    }

    /// <summary>The tenant tag of a partition, as the ledger files it (and the purge index records it).</summary>
    internal static string TenantTag(string partition)
    {
        var text = Encoding.UTF8.GetBytes(partition);
        var input = new byte[Domain.Length + text.Length];
        Domain.CopyTo(input);
        text.CopyTo(input.AsSpan(Domain.Length));
        return Convert.ToHexStringLower(SHA256.HashData(input))[..TenantTagLength];
    }

    private sealed record Filed(string Partition, CacheStrategy Strategy, LedgerDimensions Dimensions);
}
