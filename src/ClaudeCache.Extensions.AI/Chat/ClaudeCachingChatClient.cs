using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeCache.Extensions.AI.Chat;

/// <summary>
/// An <see cref="IChatClient"/> middleware that caches answers in ClaudeCache's tiered <see cref="ResponseCache"/>
/// (memory, then SQLite or Redis): keys cover the messages and every <see cref="ChatOptions"/> property, tools
/// included; streamed answers replay update by update as they were received; concurrent identical calls share
/// one inner call. Add it with <c>ChatClientBuilder.UseClaudeCache(...)</c>.
/// </summary>
/// <remarks>
/// <para>Failures and cancellations are never cached: only a call that returned (or a stream that ran to its end) is
/// stored, so a transient error or a caller that gave up never becomes the answer everyone else gets.</para>
/// <para>With a <see cref="Ledger"/> (set by <c>UseClaudeCache()</c> under dependency injection and by
/// <c>UseClaudeCache(engine)</c>) every call is one entry in the savings ledger, as the proxy records its requests:
/// a hit (stored, or joining an identical call in flight) avoided its answer's usage at today's prices, a call
/// answered by the inner client spent its <see cref="ChatResponse.Usage"/> (a miss; a bypass when the call could not
/// be keyed), and a call that ended without an answer is an error. See docs/library.md, "Cost accounting".</para>
/// </remarks>
public sealed partial class ClaudeCachingChatClient : DelegatingChatClient
{
    private readonly ResponseCache _cache;
    private readonly ClaudeCacheChatOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly JsonSerializerOptions _json;
    private readonly JsonTypeInfo<ChatResponse> _responseType;
    private readonly JsonTypeInfo<ChatResponseUpdate> _updateType;
    private readonly ConcurrentDictionary<CacheKey, Task<byte[]>> _inFlight = new();
    private readonly IReadOnlyList<string> _tags;
    private ChatAccounting? _accounting;
    private LedgerRecorder? _ledger;

    /// <summary>Creates the middleware over <paramref name="innerClient"/>, storing in <paramref name="cache"/>.</summary>
    public ClaudeCachingChatClient(
        IChatClient innerClient,
        ResponseCache cache,
        ClaudeCacheChatOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger<ClaudeCachingChatClient>? logger = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        _options = options ?? new ClaudeCacheChatOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _json = _options.JsonSerializerOptions ?? AIJsonUtilities.DefaultOptions;
        _responseType = (JsonTypeInfo<ChatResponse>)_json.GetTypeInfo(typeof(ChatResponse));
        _updateType = (JsonTypeInfo<ChatResponseUpdate>)_json.GetTypeInfo(typeof(ChatResponseUpdate));
        if (!CacheTags.TryParse(_options.Tags is { } tags ? string.Join(',', tags) : null, out _tags, out var tagError))
        {
            throw new ArgumentException(tagError, nameof(options));
        }
    }

    /// <summary>The options in force.</summary>
    public ClaudeCacheChatOptions Options => _options;

    /// <summary>
    /// Records every call in the savings ledger (one entry per call, priced with the engine's price table), as the
    /// proxy and the handler record theirs. Null (the default with an explicit <see cref="ResponseCache"/>): nothing is
    /// recorded. <c>UseClaudeCache()</c> sets the registered <see cref="LedgerRecorder"/>, <c>UseClaudeCache(engine)</c>
    /// the engine's.
    /// </summary>
    public LedgerRecorder? Ledger
    {
        get => _ledger;
        init
        {
            _ledger = value;
            _accounting = value is { Enabled: true } ? new ChatAccounting(value, _options, InnerClient) : null;
        }
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (_accounting is not { } accounting)
        {
            return (await ServeAsync(messages, options, cancellationToken).ConfigureAwait(false)).Response;
        }

        // One ledger entry per call, whatever path served it.
        var started = accounting.Time.GetTimestamp();
        (ChatResponse Response, LedgerOutcome Outcome, string? StoredModel) served;
        try
        {
            served = await ServeAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            accounting.Failed(options, accounting.Time.GetElapsedTime(started));
            throw;
        }

        var latency = accounting.Time.GetElapsedTime(started);
        var response = served.Response;
        if (served.Outcome == LedgerOutcome.Hit)
        {
            accounting.Hit(response.ModelId ?? served.StoredModel, response.Usage, options, latency);
        }
        else
        {
            accounting.Answered(served.Outcome, response.ModelId, response.Usage, options, latency);
        }

        return response;
    }

    private async Task<(ChatResponse Response, LedgerOutcome Outcome, string? StoredModel)> ServeAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        if (!ChatCacheKey.TryBuild(messages, options, streaming: false, _options, _json, out var key))
        {
            Log.NotKeyable(_logger);
            return (await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false), LedgerOutcome.Bypass, null);
        }

        var entry = await _cache.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (entry is { Kind: ResponseKind.ChatResponse })
        {
            Log.Hit(_logger, key);
            return (Deserialize(entry.Body.Span), LedgerOutcome.Hit, entry.Model);
        }

        if (!_options.CoalesceConcurrentCalls)
        {
            return (await CallAndStoreAsync(messages, options, key, null, cancellationToken).ConfigureAwait(false), LedgerOutcome.Miss, null);
        }

        // Lead, or follow the identical call in flight: N concurrent callers make one inner call.
        var lead = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flight = _inFlight.GetOrAdd(key, lead.Task);
        if (flight != lead.Task)
        {
            try
            {
                var body = await flight.WaitAsync(cancellationToken).ConfigureAwait(false);
                Log.Coalesced(_logger, key);
                return (Deserialize(body), LedgerOutcome.Hit, null);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The leader failed or was cancelled by its own caller: that is not this caller's answer. Call alone.
                return (await CallAndStoreAsync(messages, options, key, null, cancellationToken).ConfigureAwait(false), LedgerOutcome.Miss, null);
            }
        }

        try
        {
            return (await CallAndStoreAsync(messages, options, key, lead, cancellationToken).ConfigureAwait(false), LedgerOutcome.Miss, null);
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<CacheKey, Task<byte[]>>(key, lead.Task));
        }
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        _accounting is { } accounting
            ? MeteredStreamingAsync(accounting, messages, options, cancellationToken)
            : ServeStreamingAsync(messages, options, null, cancellationToken);

    private async IAsyncEnumerable<ChatResponseUpdate> MeteredStreamingAsync(
        ChatAccounting accounting,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);

        // One ledger entry per call, written when the stream ends or its caller stops reading it.
        var time = accounting.Time;
        var meter = new ChatStreamMeter(time.GetTimestamp());
        try
        {
            await foreach (var update in ServeStreamingAsync(messages, options, meter, cancellationToken).ConfigureAwait(false))
            {
                if (meter.Outcome == LedgerOutcome.Hit)
                {
                    // A replay: the stored answer's model and usage were taken when it was found.
                    meter.FirstUpdate(time);
                }
                else
                {
                    meter.Observe(update, time);
                }

                yield return update;
            }

            meter.Completed = true;
        }
        finally
        {
            accounting.Streamed(meter, options);
        }
    }

    private async IAsyncEnumerable<ChatResponseUpdate> ServeStreamingAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        ChatStreamMeter? meter,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var coalesce = _options.CoalesceStreamingUpdates;
        if (!ChatCacheKey.TryBuild(messages, options, streaming: !coalesce, _options, _json, out var key))
        {
            Log.NotKeyable(_logger);
            meter?.Outcome = LedgerOutcome.Bypass;
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }

            yield break;
        }

        var entry = await _cache.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (entry is { Kind: ResponseKind.ChatResponse } && coalesce)
        {
            Log.Hit(_logger, key);
            var response = Deserialize(entry.Body.Span);
            if (meter is not null)
            {
                meter.Outcome = LedgerOutcome.Hit;
                meter.ModelId = response.ModelId ?? entry.Model;
                meter.Usage = response.Usage;
            }

            foreach (var update in response.ToChatResponseUpdates())
            {
                yield return update;
            }

            yield break;
        }

        if (entry is { Kind: ResponseKind.ChatResponseUpdates } && !coalesce)
        {
            Log.Hit(_logger, key);
            var updates = DeserializeUpdates(entry.Body);
            if (meter is not null)
            {
                meter.Outcome = LedgerOutcome.Hit;
                meter.ModelId = updates.Find(static u => u.ModelId is not null)?.ModelId ?? entry.Model;
                meter.Usage = updates.Aggregate((UsageDetails?)null, ChatUsage.Sum);
            }

            foreach (var update in updates)
            {
                yield return update;
            }

            yield break;
        }

        // A miss: pass each update on as it arrives, keep a copy, store only once the stream ran to its end.
        meter?.Outcome = LedgerOutcome.Miss;
        var received = new List<ChatResponseUpdate>();
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            received.Add(update);
            yield return update;
        }

        if (coalesce)
        {
            var response = received.ToChatResponse();
            if (response.ContinuationToken is null)
            {
                Store(key, ResponseKind.ChatResponse, JsonSerializer.SerializeToUtf8Bytes(response, _responseType), response.ModelId);
            }
        }
        else if (received.TrueForAll(static update => update.ContinuationToken is null))
        {
            Store(key, ResponseKind.ChatResponseUpdates, SerializeUpdates(received), received.Find(static u => u.ModelId is not null)?.ModelId);
        }
    }

    private async Task<ChatResponse> CallAndStoreAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options, CacheKey key, TaskCompletionSource<byte[]>? lead, CancellationToken cancellationToken)
    {
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lead?.TrySetCanceled(CancellationToken.None);
            throw;
        }
        catch (Exception ex)
        {
            if (lead is not null)
            {
                lead.TrySetException(ex);
                // Followers observe it if there are any; mark it observed so none is reported as unobserved.
                _ = lead.Task.Exception;
            }

            throw;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(response, _responseType);
        lead?.TrySetResult(body);

        // A background response still in progress is not an answer yet.
        if (response.ContinuationToken is null)
        {
            Store(key, ResponseKind.ChatResponse, body, response.ModelId);
        }

        return response;
    }

    private void Store(CacheKey key, ResponseKind kind, byte[] body, string? model)
    {
        var now = _time.GetUtcNow();
        var response = new CachedResponse
        {
            Kind = kind,
            CreatedAt = now,
            ExpiresAt = now + _options.TimeToLive,
            Strategy = _options.Strategy,
            Model = model ?? "",
            Namespace = _options.Namespace,
            Body = body,
        };
        _cache.Set(key, response, replaces: false, EntryMetadata.Of(response, ChatAccounting.TenantTag(_options.Partition ?? ""), "", _tags));
        Log.Stored(_logger, key);
    }

    private ChatResponse Deserialize(ReadOnlySpan<byte> body) =>
        JsonSerializer.Deserialize(body, _responseType) ?? throw new JsonException("A stored chat response is null.");

    private byte[] SerializeUpdates(List<ChatResponseUpdate> updates)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var update in updates)
            {
                JsonSerializer.Serialize(writer, update, _updateType);
            }

            writer.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private List<ChatResponseUpdate> DeserializeUpdates(ReadOnlyMemory<byte> body)
    {
        var updates = new List<ChatResponseUpdate>();
        var reader = new Utf8JsonReader(body.Span);
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            updates.Add(JsonSerializer.Deserialize(ref reader, _updateType) ?? throw new JsonException("A stored chat update is null."));
        }

        return updates;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "Chat cache hit {Key}")]
        public static partial void Hit(ILogger logger, CacheKey key);

        [LoggerMessage(EventId = 5102, Level = LogLevel.Debug, Message = "Chat answer stored {Key}")]
        public static partial void Stored(ILogger logger, CacheKey key);

        [LoggerMessage(EventId = 5103, Level = LogLevel.Debug, Message = "Chat call joined an identical call in flight {Key}")]
        public static partial void Coalesced(ILogger logger, CacheKey key);

        [LoggerMessage(EventId = 5104, Level = LogLevel.Debug, Message = "Chat options cannot be keyed (a raw representation factory or continuation token); not cached")]
        public static partial void NotKeyable(ILogger logger);
    }
}
