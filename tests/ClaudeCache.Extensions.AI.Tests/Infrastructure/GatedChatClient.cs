using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace ClaudeCache.Extensions.AI.Tests.Infrastructure;

/// <summary>
/// An inner chat client held at a gate: it signals <see cref="Started"/> when called, and answers only once
/// <see cref="Release"/> is set — a stream sends its first update before the gate, the rest after. It counts its
/// calls, keeps the token it was given, and throws <see cref="Failure"/> at the gate when one is set.
/// </summary>
public sealed class GatedChatClient
{
    public const string Model = "claude-sonnet-4-5-20250929";

    public static readonly UsageDetails Usage = new() { InputTokenCount = 900, OutputTokenCount = 120 };

    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Exception? Failure { get; set; }

    /// <summary>The updates the last stream sent (the objects themselves).</summary>
    public ChatResponseUpdate[]? Sent { get; private set; }

    /// <summary>The token the last call was given.</summary>
    public CancellationToken Token { get; private set; }

    public TestChatClient Client => new() { GetResponseAsyncCallback = ResponseAsync, GetStreamingResponseAsyncCallback = StreamAsync };

    /// <summary>The updates a stream sends; a response is what they make.</summary>
    public static ChatResponseUpdate[] Updates() =>
    [
        new(ChatRole.Assistant, "Hel") { MessageId = "m1", ResponseId = "r1", ModelId = Model },
        new(null, "lo") { MessageId = "m1", ResponseId = "r1" },
        new() { Contents = [new UsageContent(Usage)], FinishReason = ChatFinishReason.Stop, ResponseId = "r1" },
    ];

    private async Task<ChatResponse> ResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        Enter(cancellationToken);
        await Release.Task.WaitAsync(cancellationToken);
        if (Failure is { } failure)
        {
            throw failure;
        }

        return Updates().ToChatResponse();
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Enter(cancellationToken);
        var updates = Updates();
        Sent = updates;
        yield return updates[0];
        await Release.Task.WaitAsync(cancellationToken);
        if (Failure is { } failure)
        {
            throw failure;
        }

        foreach (var update in updates.Skip(1))
        {
            yield return update;
        }
    }

    private void Enter(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        Token = cancellationToken;
        Started.TrySetResult();
    }
}
