using System.Diagnostics;

namespace ClaudeCache.Telemetry;

/// <summary>
/// The product's one <see cref="ActivitySource"/> ("ClaudeCache") and the names of what it records: a cache span
/// per request through <see cref="CacheEngine.HandleAsync"/> or <see cref="CacheEngine.GetOrProduceAsync"/>, and a child span per upstream call following
/// the OpenTelemetry GenAI conventions. Subscribe to <see cref="SourceName"/> (OpenTelemetry's <c>AddSource</c>);
/// with no subscriber nothing is built.
/// </summary>
/// <remarks>
/// Spans never carry a whole cache key, a prompt, an answer or a credential: a key is identified by its first
/// <see cref="KeyPrefixLength"/> hex characters, enough to find it in logs and the admin API.
/// </remarks>
public static class ClaudeCacheTracing
{
    /// <summary>The activity source name to subscribe to.</summary>
    public const string SourceName = "ClaudeCache";

    /// <summary>The cache span's name (kind Internal): one per request, ended when its response is written.</summary>
    public const string CacheSpanName = "claudecache.request";

    /// <summary>Hex characters of the cache key a span carries (of 64).</summary>
    public const int KeyPrefixLength = 12;

    /// <summary>HIT, MISS, REFRESH, BYPASS (as <c>x-cache</c>), or REJECTED for a request answered with a 400.</summary>
    public const string Status = "claudecache.status";

    /// <summary>The strategy, as the <c>x-cache-strategy</c> header names it.</summary>
    public const string Strategy = "claudecache.strategy";

    /// <summary>The first <see cref="KeyPrefixLength"/> hex characters of the cache key.</summary>
    public const string KeyPrefix = "claudecache.key_prefix";

    /// <summary>What answered: one of the <c>Tier*</c> values.</summary>
    public const string Tier = "claudecache.tier";

    /// <summary>True when the request shared another caller's upstream call.</summary>
    public const string Coalesced = "claudecache.coalesced";

    /// <summary>True when the request memo skipped parsing, validation and keying (identical bytes seen before).</summary>
    public const string MemoHit = "claudecache.memo_hit";

    /// <summary>The HTTP status the request was answered with.</summary>
    public const string ResponseStatusCode = "http.response.status_code";

    /// <summary>The class of error a span ended with (OpenTelemetry's <c>error.type</c>).</summary>
    public const string ErrorType = "error.type";

    /// <summary><see cref="Tier"/>: this instance's memory tier.</summary>
    public const string TierMemory = "memory";

    /// <summary><see cref="Tier"/>: the durable second tier (SQLite, Redis).</summary>
    public const string TierSecond = "second_tier";

    /// <summary><see cref="Tier"/>: an identical call already in flight in this instance.</summary>
    public const string TierFlight = "flight";

    /// <summary><see cref="Tier"/>: another instance's call, through the shared store.</summary>
    public const string TierInstance = "instance";

    /// <summary><see cref="Tier"/>: a call of this request's own, upstream.</summary>
    public const string TierUpstream = "upstream";

    /// <summary>GenAI: the provider, <c>anthropic</c>.</summary>
    public const string GenAiProviderName = "gen_ai.provider.name";

    /// <summary>GenAI: the operation, <c>chat</c> (Messages) or <c>count_tokens</c>.</summary>
    public const string GenAiOperationName = "gen_ai.operation.name";

    /// <summary>GenAI: the model the request names.</summary>
    public const string GenAiRequestModel = "gen_ai.request.model";

    /// <summary>GenAI: set (true) only when the upstream request streams.</summary>
    public const string GenAiRequestStream = "gen_ai.request.stream";

    /// <summary>GenAI: the model that answered.</summary>
    public const string GenAiResponseModel = "gen_ai.response.model";

    /// <summary>GenAI: the answer's <c>stop_reason</c>, as a one-element array.</summary>
    public const string GenAiResponseFinishReasons = "gen_ai.response.finish_reasons";

    /// <summary>GenAI: all input tokens (Anthropic's <c>input_tokens</c> + cache reads + cache writes).</summary>
    public const string GenAiInputTokens = "gen_ai.usage.input_tokens";

    /// <summary>GenAI: output tokens.</summary>
    public const string GenAiOutputTokens = "gen_ai.usage.output_tokens";

    /// <summary>GenAI: input tokens read from Anthropic's prompt cache.</summary>
    public const string GenAiCacheReadInputTokens = "gen_ai.usage.cache_read.input_tokens";

    /// <summary>GenAI: input tokens written to Anthropic's prompt cache.</summary>
    public const string GenAiCacheCreationInputTokens = "gen_ai.usage.cache_creation.input_tokens";

    /// <summary>The source every span is started from.</summary>
    internal static ActivitySource Source { get; } = new(SourceName);
}
