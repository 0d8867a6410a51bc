using System.Runtime.CompilerServices;
using System.Text.Json;
using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Extensions.AI.Chat;
using ClaudeCache.Keys;
using ClaudeCache.Pipeline;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeCache.Extensions.AI;

/// <summary>
/// An <see cref="IChatClient"/> middleware over ClaudeCache's engine: a thin adapter that keys the call (the messages
/// and every <see cref="ChatOptions"/> property, tools included) and takes the engine's one request path for its own
/// keys (<see cref="CacheEngine.GetOrProduceAsync"/>): a stored answer, or the engine's flight for the key — one
/// inner call for every identical concurrent call, streamed or not, in this process and on other instances sharing
/// its Redis. Add it with <c>ChatClientBuilder.UseClaudeCache(...)</c>.
/// </summary>
/// <remarks>
/// <para>Failures and cancellations are never cached: only a call that returned (or a stream that ran to its end) is
/// stored, so a transient error never becomes the answer everyone else gets. Every caller that shared a failed call
/// gets its exception. The inner call runs detached from its callers: a caller that cancels stops waiting, and the
/// call still completes (within <c>UpstreamTimeout</c>) for the others and for the cache.</para>
/// <para>With a ledger (<see cref="CacheEngine.Ledger"/>) every call is one entry in the savings ledger, as the proxy
/// records its requests: a hit (stored, shared, or stored by another instance) avoided its answer's usage at today's
/// prices, a call that led the inner call spent its <see cref="ChatResponse.Usage"/> (a miss; a bypass when the call
/// could not be keyed), and a call that ended without an answer is an error. See docs/library.md, "Cost accounting".</para>
/// </remarks>
public sealed partial class ClaudeCachingChatClient : DelegatingChatClient
{
    private readonly CacheEngine _engine;
    private readonly ClaudeCacheChatOptions _options;
    private readonly ILogger _logger;
    private readonly JsonSerializerOptions _json;
    private readonly ChatCodec _codec;
    private readonly ChatAccounting? _accounting;
    private readonly IReadOnlyList<string> _tags;

    /// <summary>Creates the middleware over <paramref name="innerClient"/>, on <paramref name="engine"/>'s cache, flights and ledger.</summary>
    public ClaudeCachingChatClient(
        IChatClient innerClient,
        CacheEngine engine,
        ClaudeCacheChatOptions? options = null,
        ILogger<ClaudeCachingChatClient>? logger = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = engine;
        _options = options ?? new ClaudeCacheChatOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _json = _options.JsonSerializerOptions ?? AIJsonUtilities.DefaultOptions;
        _codec = new ChatCodec(_json);
        _accounting = engine.Ledger is { Enabled: true } ledger ? new ChatAccounting(ledger, _options, InnerClient) : null;
        if (!CacheTags.TryParse(_options.Tags is { } tags ? string.Join(',', tags) : null, out _tags, out var tagError))
        {
            throw new ArgumentException(tagError, nameof(options));
        }
    }

    /// <summary>The options in force.</summary>
    public ClaudeCacheChatOptions Options => _options;

    /// <summary>
    /// The savings ledger every call is recorded in (the engine's, one entry per call, priced with its price table), as
    /// the proxy and the handler record theirs. Null: nothing is recorded.
    /// </summary>
    public LedgerRecorder? Ledger => _engine.Ledger;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var time = _accounting?.Time ?? TimeProvider.System;
        var started = time.GetTimestamp();
        if (!ChatCacheKey.TryBuild(messages, options, _options, _json, out var key))
        {
            return await BypassAsync(messages, options, started, cancellationToken).ConfigureAwait(false);
        }

        var call = new ChatCall(InnerClient, _codec, messages, options, streaming: false, _options.CoalesceStreamingUpdates);
        var outcome = await _engine.GetOrProduceAsync(Intent(key, call), streaming: false, call.Producer, _options.CoalesceConcurrentCalls, cancellationToken).ConfigureAwait(false);
        if (outcome.Entry is { } entry)
        {
            // The cache span (when traced) ends once the caller has its answer.
            using var span = outcome.Span;
            Log.Hit(_logger, key);
            var stored = _codec.ResponseOf(entry);
            _accounting?.Hit(stored.ModelId ?? entry.Model, stored.Usage, options, time.GetElapsedTime(started));
            return stored;
        }

        var flight = outcome.Flight!;
        try
        {
            var head = await flight.Head.WaitAsync(cancellationToken).ConfigureAwait(false);
            var status = outcome.StatusOnce(head);
            outcome.Served(status, head);
            Log.Served(_logger, key, status, outcome.Coalesced);
            var response = await call.ResponseAsync(flight, head, led: !outcome.Coalesced, cancellationToken).ConfigureAwait(false);
            outcome.EndSpan();
            return response;
        }
        catch (Exception ex)
        {
            outcome.FailSpan(ex);
            throw;
        }
        finally
        {
            // Recorded when the flight is judged: a caller that left still cost (or saved) what its flight did.
            _accounting?.WhenJudged(flight, outcome.Status, options, time.GetElapsedTime(started), _codec);
        }
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return StreamAsync(messages, options, cancellationToken);
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var time = _accounting?.Time ?? TimeProvider.System;

        // Latency is the time to the first update (as the handler measures a stream: to its headers).
        var meter = new ChatStreamMeter(time.GetTimestamp());
        if (!ChatCacheKey.TryBuild(messages, options, _options, _json, out var key))
        {
            Log.NotKeyable(_logger);
            meter.Outcome = LedgerOutcome.Bypass;
            try
            {
                await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
                {
                    meter.Observe(update, time);
                    yield return update;
                }

                meter.Completed = true;
            }
            finally
            {
                _accounting?.Streamed(meter, options);
            }

            yield break;
        }

        var call = new ChatCall(InnerClient, _codec, messages, options, streaming: true, _options.CoalesceStreamingUpdates);
        var outcome = await _engine.GetOrProduceAsync(Intent(key, call), streaming: true, call.Producer, _options.CoalesceConcurrentCalls, cancellationToken).ConfigureAwait(false);
        if (outcome.Entry is { } entry)
        {
            Log.Hit(_logger, key);
            var updates = _codec.UpdatesOf(entry);
            meter.Outcome = LedgerOutcome.Hit;
            meter.ModelId = updates.FirstOrDefault(static u => u.ModelId is not null)?.ModelId ?? entry.Model;
            meter.Usage = updates.Aggregate((UsageDetails?)null, ChatUsage.Sum);
            try
            {
                foreach (var update in updates)
                {
                    meter.FirstUpdate(time);
                    yield return update;
                }
            }
            finally
            {
                // The cache span (when traced) ends once the caller has read the answer, or stopped reading it.
                outcome.EndSpan();
                _accounting?.Streamed(meter, options);
            }

            yield break;
        }

        var flight = outcome.Flight!;
        try
        {
            var reader = FlightUpdatesAsync(call, outcome, key, cancellationToken).ConfigureAwait(false).GetAsyncEnumerator();
            await using (reader)
            {
                while (true)
                {
                    try
                    {
                        if (!await reader.MoveNextAsync())
                        {
                            break;
                        }
                    }
                    catch (Exception ex)
                    {
                        outcome.FailSpan(ex);
                        throw;
                    }

                    meter.FirstUpdate(time);
                    yield return reader.Current;
                }
            }
        }
        finally
        {
            outcome.EndSpan();
            _accounting?.WhenJudged(flight, outcome.Status, options, meter.Latency(time), _codec);
        }
    }

    /// <summary>A flight's answer as updates, once its head is known (the cache span then told the status it serves).</summary>
    private async IAsyncEnumerable<ChatResponseUpdate> FlightUpdatesAsync(ChatCall call, ProducedOutcome outcome, CacheKey key, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var flight = outcome.Flight!;
        var head = await flight.Head.WaitAsync(cancellationToken).ConfigureAwait(false);
        var status = outcome.StatusOnce(head);
        outcome.Served(status, head);
        Log.Served(_logger, key, status, outcome.Coalesced);
        await foreach (var update in call.UpdatesAsync(flight, head, led: !outcome.Coalesced, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    /// <summary>A call that cannot be keyed: straight to the inner client, never stored, recorded as a bypass.</summary>
    private async Task<ChatResponse> BypassAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, long started, CancellationToken cancellationToken)
    {
        Log.NotKeyable(_logger);
        if (_accounting is not { } accounting)
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }

        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            accounting.Failed(options, accounting.Time.GetElapsedTime(started));
            throw;
        }

        accounting.Answered(LedgerOutcome.Bypass, response.ModelId, response.Usage, options, accounting.Time.GetElapsedTime(started));
        return response;
    }

    private StoreIntent Intent(CacheKey key, ChatCall call) =>
        new(key, call.Kind, Store: true, _options.Strategy, _options.TimeToLive, ContextType: "", _options.Namespace)
        {
            Tenant = ChatAccounting.TenantTag(_options.Partition ?? ""),
            Tags = _tags,
        };

    private static partial class Log
    {
        [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "Chat cache hit {Key}")]
        public static partial void Hit(ILogger logger, CacheKey key);

        [LoggerMessage(EventId = 5103, Level = LogLevel.Debug, Message = "Chat call {Key}: {Status} (shared a call in flight: {Coalesced})")]
        public static partial void Served(ILogger logger, CacheKey key, CacheStatus status, bool coalesced);

        [LoggerMessage(EventId = 5104, Level = LogLevel.Debug, Message = "Chat options cannot be keyed (a raw representation factory or continuation token); not cached")]
        public static partial void NotKeyable(ILogger logger);
    }
}
