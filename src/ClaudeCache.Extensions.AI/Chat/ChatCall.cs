using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.AI;

namespace ClaudeCache.Extensions.AI.Chat;

/// <summary>
/// One keyed chat call on the engine's request path. When it leads its flight, <see cref="Producer"/> runs the inner
/// client and writes each update (or the response) to the flight as a frame; every caller of the flight — this one
/// too — reads the frames in its own form, as they arrive. The leader's caller gets the inner client's own objects
/// (their <c>RawRepresentation</c> included); the others get copies decoded from the frames, as from a stored answer.
/// </summary>
internal sealed class ChatCall(
    IChatClient inner, ChatCodec codec, IEnumerable<ChatMessage> messages, ChatOptions? options, bool streaming, bool storeStreamAsResponse)
{
    private readonly Lock _gate = new();
    private readonly List<ChatResponseUpdate> _produced = [];
    private ChatResponse? _producedResponse;

    /// <summary>The form this call's answer is stored in when it leads.</summary>
    public ResponseKind Kind => streaming && !storeStreamAsResponse ? ResponseKind.ChatResponseUpdates : ResponseKind.ChatResponse;

    /// <summary>What a flight this call leads runs: the inner client, detached from every caller.</summary>
    public FlightProducer Producer => streaming ? ProduceStreamAsync : ProduceResponseAsync;

    /// <summary>The flight's answer as one response, once it is complete; the flight's failure is thrown.</summary>
    /// <param name="flight">The flight this call leads or joined.</param>
    /// <param name="head">Its head.</param>
    /// <param name="led">True when this call's <see cref="Producer"/> ran it.</param>
    /// <param name="cancellationToken">Stops this caller's wait only.</param>
    public async Task<ChatResponse> ResponseAsync(Flight flight, FlightHead head, bool led, CancellationToken cancellationToken)
    {
        if (head.FromCache)
        {
            return codec.ResponseOf(await StoredAsync(flight, cancellationToken).ConfigureAwait(false));
        }

        var body = await ReadToEndAsync(flight.Body, cancellationToken).ConfigureAwait(false);
        if (flight.Streaming)
        {
            return Decode(body, 0, led, out _).ToChatResponse();
        }

        if (led)
        {
            return Volatile.Read(ref _producedResponse)!;
        }

        var frames = new List<Range>(1);
        ChatCodec.ReadFrames(body.Span, frames);
        return codec.DeserializeResponse(body.Span[frames.Single()]);
    }

    /// <summary>The flight's answer as updates, each as soon as the flight has it; the flight's failure is thrown after them.</summary>
    public async IAsyncEnumerable<ChatResponseUpdate> UpdatesAsync(Flight flight, FlightHead head, bool led, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (head.FromCache || !flight.Streaming)
        {
            // An answer another instance stored, or a response: complete before any of it can be read.
            var updates = head.FromCache
                ? codec.UpdatesOf(await StoredAsync(flight, cancellationToken).ConfigureAwait(false))
                : (await ResponseAsync(flight, head, led, cancellationToken).ConfigureAwait(false)).ToChatResponseUpdates();
            foreach (var update in updates)
            {
                yield return update;
            }

            yield break;
        }

        var position = 0;
        var index = 0;
        while (true)
        {
            var read = await flight.Body.ReadAsync(position, cancellationToken).ConfigureAwait(false);
            if (read.IsCompleted)
            {
                if (read.Fault is { } fault)
                {
                    ExceptionDispatchInfo.Throw(fault);
                }

                yield break;
            }

            var updates = Decode(read.Data, index, led, out var consumed);
            position += consumed;
            index += updates.Count;
            foreach (var update in updates)
            {
                yield return update;
            }
        }
    }

    private async Task<ProducedAnswer> ProduceResponseAsync(FlightWriter body, CancellationToken cancellationToken)
    {
        var span = StartSpan();
        ChatResponse response;
        try
        {
            response = await inner.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (span is not null)
        {
            UpstreamSpans.Fail(span, ex);
            throw;
        }

        if (span is not null)
        {
            EndSpan(span, response.ModelId, response.Usage, response.FinishReason);
        }

        var json = codec.Serialize(response);
        Volatile.Write(ref _producedResponse, response);
        body.Write(ChatCodec.Frame(json));

        // A background response still in progress is not an answer yet.
        return new ProducedAnswer(json, response.ModelId ?? "", Storable: response.ContinuationToken is null);
    }

    private async Task<ProducedAnswer> ProduceStreamAsync(FlightWriter body, CancellationToken cancellationToken)
    {
        var span = StartSpan();
        var received = new List<byte[]>();
        try
        {
            await foreach (var update in inner.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                var json = codec.Serialize(update);
                received.Add(json);
                lock (_gate)
                {
                    _produced.Add(update);
                }

                // After the update is kept: a reader that sees frame i finds update i.
                body.Write(ChatCodec.Frame(json));
            }
        }
        catch (Exception ex) when (span is not null)
        {
            UpstreamSpans.Fail(span, ex);
            throw;
        }

        // Only this producer adds to the list, and it is done.
        var model = _produced.Find(static u => u.ModelId is not null)?.ModelId ?? "";
        if (span is not null)
        {
            EndSpan(span, model, _produced.Aggregate((UsageDetails?)null, ChatUsage.Sum), _produced.FindLast(static u => u.FinishReason is not null)?.FinishReason);
        }

        if (storeStreamAsResponse)
        {
            var response = _produced.ToChatResponse();
            return new ProducedAnswer(codec.Serialize(response), response.ModelId ?? model, Storable: response.ContinuationToken is null);
        }

        return new ProducedAnswer(ChatCodec.ToArray(received), model, Storable: _produced.TrueForAll(static u => u.ContinuationToken is null));
    }

    /// <summary>
    /// The inner call's span (docs/traces.md): the upstream span's, for the provider and model the inner client reports
    /// (else <c>anthropic</c>, and the model the options name). Started in the flight, whose current activity is the
    /// leading caller's cache span: that is its parent. Null when untraced.
    /// </summary>
    private Activity? StartSpan()
    {
        if (!ClaudeCacheTracing.Source.HasListeners())
        {
            return null;
        }

        var metadata = inner.GetService(typeof(ChatClientMetadata)) as ChatClientMetadata;
        var model = !string.IsNullOrEmpty(options?.ModelId) ? options.ModelId : metadata?.DefaultModelId ?? "";
        return UpstreamSpans.StartChat(string.IsNullOrEmpty(metadata?.ProviderName) ? "anthropic" : metadata.ProviderName, model, streaming);
    }

    // The answer's model, usage and finish reason, tagged as the upstream span tags a Message's; the prompt cache's
    // counts only when the answer reported them.
    private static void EndSpan(Activity span, string? model, UsageDetails? usage, ChatFinishReason? finishReason)
    {
        UpstreamSpans.Answered(
            span,
            model,
            ChatUsage.ToTokenUsage(usage),
            finishReason?.Value,
            cacheRead: usage?.CachedInputTokenCount is not null,
            cacheCreation: usage is not null && ChatUsage.ReportsCacheCreation(usage));
        span.Dispose();
    }

    private List<ChatResponseUpdate> Decode(ReadOnlyMemory<byte> data, int firstIndex, bool led, out int consumed)
    {
        var frames = new List<Range>();
        consumed = ChatCodec.ReadFrames(data.Span, frames);
        if (consumed == 0 && !data.IsEmpty)
        {
            // Frames are written whole (FlightWriter.Write), so new bytes always hold at least one.
            throw new InvalidOperationException("A chat flight holds a partial frame.");
        }

        var updates = new List<ChatResponseUpdate>(frames.Count);
        for (var i = 0; i < frames.Count; i++)
        {
            if (led)
            {
                lock (_gate)
                {
                    updates.Add(_produced[firstIndex + i]);
                }
            }
            else
            {
                updates.Add(codec.DeserializeUpdate(data.Span[frames[i]]));
            }
        }

        return updates;
    }

    private static async Task<CachedResponse> StoredAsync(Flight flight, CancellationToken cancellationToken) =>
        (await flight.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false)).Response
            ?? throw new InvalidOperationException("A flight replayed from the shared cache has no answer.");

    private static async Task<ReadOnlyMemory<byte>> ReadToEndAsync(ChunkBuffer body, CancellationToken cancellationToken)
    {
        var position = 0;
        while (true)
        {
            var read = await body.ReadAsync(position, cancellationToken).ConfigureAwait(false);
            if (read.IsCompleted)
            {
                if (read.Fault is { } fault)
                {
                    ExceptionDispatchInfo.Throw(fault);
                }

                return body.WrittenMemory;
            }

            position += read.Data.Length;
        }
    }
}
