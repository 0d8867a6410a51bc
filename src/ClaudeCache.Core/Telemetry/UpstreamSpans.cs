using System.Diagnostics;
using System.Text.Json;
using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.Entries;

namespace ClaudeCache.Telemetry;

/// <summary>
/// The span of one upstream call (kind Client), named and tagged per the OpenTelemetry GenAI conventions for
/// Anthropic: <c>chat {model}</c>, provider <c>anthropic</c>, the requested and answering models, and the usage of
/// the judged answer. It is a child of the cache span of the request that led the flight.
/// </summary>
internal static class UpstreamSpans
{
    private const string Chat = "chat";
    private const string CountTokens = "count_tokens";

    /// <summary>Starts the span (null when nobody listens or the sampler drops it).</summary>
    public static Activity? Start(StoreIntent intent, bool streaming) =>
        Start(intent.Kind == ResponseKind.CountTokens ? CountTokens : Chat, "anthropic", intent.Model, streaming);

    /// <summary>
    /// Starts the span of a <c>chat</c> call made by another provider's client (the <c>IChatClient</c> middleware's
    /// inner client), with the <paramref name="provider"/> and <paramref name="model"/> it reports.
    /// </summary>
    public static Activity? StartChat(string provider, string model, bool streaming) => Start(Chat, provider, model, streaming);

    private static Activity? Start(string operation, string provider, string model, bool streaming)
    {
        if (!ClaudeCacheTracing.Source.HasListeners())
        {
            return null;
        }

        // The provider and operation at creation time: samplers may decide on them.
        ActivityTagsCollection tags = new()
        {
            [ClaudeCacheTracing.GenAiOperationName] = operation,
            [ClaudeCacheTracing.GenAiProviderName] = provider,
        };
        var span = ClaudeCacheTracing.Source.StartActivity(ActivityKind.Client, tags: tags, name: model.Length == 0 ? operation : $"{operation} {model}");
        if (span is null)
        {
            return null;
        }

        if (model.Length > 0)
        {
            span.SetTag(ClaudeCacheTracing.GenAiRequestModel, model);
        }

        if (streaming)
        {
            span.SetTag(ClaudeCacheTracing.GenAiRequestStream, true);
        }

        return span;
    }

    /// <summary>Tags the judged outcome (model, usage, or the error) and ends the span.</summary>
    public static void End(Activity span, Flight flight, FlightOutcome outcome)
    {
        if (outcome.Response is { Kind: ResponseKind.Message } answer)
        {
            DescribeAnswer(span, answer);
        }

        if (ErrorType(flight, outcome) is { } error)
        {
            span.SetTag(ClaudeCacheTracing.ErrorType, error);
            span.SetStatus(ActivityStatusCode.Error);
        }

        span.Dispose();
    }

    /// <summary>Ends the span of a call that threw.</summary>
    public static void Fail(Activity span, Exception exception)
    {
        span.SetTag(ClaudeCacheTracing.ErrorType, exception.GetType().FullName);
        span.SetStatus(ActivityStatusCode.Error);
        span.Dispose();
    }

    /// <summary>
    /// Tags what answered: the model, the usage (all input, output, and the prompt cache's reads and writes when
    /// <paramref name="cacheRead"/> and <paramref name="cacheCreation"/> say the answer reported them), the finish reason.
    /// </summary>
    public static void Answered(Activity span, string? model, TokenUsage? usage, string? finishReason, bool cacheRead = true, bool cacheCreation = true)
    {
        if (!string.IsNullOrEmpty(model))
        {
            span.SetTag(ClaudeCacheTracing.GenAiResponseModel, model);
        }

        if (usage is { } counts)
        {
            span.SetTag(ClaudeCacheTracing.GenAiInputTokens, counts.TotalInputTokens);
            span.SetTag(ClaudeCacheTracing.GenAiOutputTokens, counts.OutputTokens);
            if (cacheRead)
            {
                span.SetTag(ClaudeCacheTracing.GenAiCacheReadInputTokens, counts.CacheReadInputTokens);
            }

            if (cacheCreation)
            {
                span.SetTag(ClaudeCacheTracing.GenAiCacheCreationInputTokens, counts.CacheCreationInputTokens);
            }
        }

        if (finishReason is not null)
        {
            span.SetTag(ClaudeCacheTracing.GenAiResponseFinishReasons, new[] { finishReason });
        }
    }

    // The judge parsed this body already: it is a well-formed Message.
    private static void DescribeAnswer(Activity span, CachedResponse answer) =>
        Answered(span, answer.Model, answer.ReadUsage(out _), MessageJson.ReadStopReason(answer.Body.Span));

    /// <summary>
    /// A low-cardinality class of failure, or null for a call that answered: the error envelope's own type for an
    /// upstream error status (its status code when the body says none), else what the judge found.
    /// </summary>
    private static string? ErrorType(Flight flight, FlightOutcome outcome)
    {
        if (outcome.IsCompleteSuccess || outcome.Reason == "pause_turn")
        {
            return null;
        }

        var status = flight.Head.IsCompletedSuccessfully ? flight.Head.Result.StatusCode : 0;
        return outcome.Reason switch
        {
            "upstream error" => EnvelopeType(flight.Body.WrittenMemory.Span) ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "upstream unavailable" => status == 504 ? "timeout" : "unreachable",
            "upstream broke off" => "broke_off",
            "stream error" => "stream_error",
            "stream incomplete" => "stream_incomplete",
            _ => "malformed_response",
        };
    }

    // Anthropic's envelope: {"type":"error","error":{"type":"overloaded_error",...}}. Only the types the API documents,
    // so a body of any other shape cannot add values.
    private static string? EnvelopeType(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!JsonReading.MoveToTopLevelProperty(ref reader, "error"u8) || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                reader.Read();
                if (isType)
                {
                    return reader.TokenType == JsonTokenType.String ? Known(reader.GetString()) : null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Not JSON: the status code stands for it.
        }

        return null;
    }

    private static string? Known(string? type) => type switch
    {
        ErrorTypes.InvalidRequest or ErrorTypes.Authentication or ErrorTypes.Billing or ErrorTypes.Permission or ErrorTypes.NotFound
            or ErrorTypes.Conflict or ErrorTypes.RequestTooLarge or ErrorTypes.RateLimit or ErrorTypes.Api or ErrorTypes.Timeout
            or ErrorTypes.Overloaded => type,
        _ => null,
    };
}
