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
    public static Activity? Start(StoreIntent intent, bool streaming)
    {
        if (!ClaudeCacheTracing.Source.HasListeners())
        {
            return null;
        }

        var operation = intent.Kind == ResponseKind.CountTokens ? CountTokens : Chat;
        // The provider and operation at creation time: samplers may decide on them.
        ActivityTagsCollection tags = new()
        {
            [ClaudeCacheTracing.GenAiOperationName] = operation,
            [ClaudeCacheTracing.GenAiProviderName] = "anthropic",
        };
        var span = ClaudeCacheTracing.Source.StartActivity(ActivityKind.Client, tags: tags, name: intent.Model.Length == 0 ? operation : $"{operation} {intent.Model}");
        if (span is null)
        {
            return null;
        }

        if (intent.Model.Length > 0)
        {
            span.SetTag(ClaudeCacheTracing.GenAiRequestModel, intent.Model);
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

    private static void DescribeAnswer(Activity span, CachedResponse answer)
    {
        if (answer.Model.Length > 0)
        {
            span.SetTag(ClaudeCacheTracing.GenAiResponseModel, answer.Model);
        }

        // The judge parsed this body already: it is a well-formed Message.
        var usage = answer.ReadUsage(out _);
        span.SetTag(ClaudeCacheTracing.GenAiInputTokens, usage.TotalInputTokens);
        span.SetTag(ClaudeCacheTracing.GenAiOutputTokens, usage.OutputTokens);
        span.SetTag(ClaudeCacheTracing.GenAiCacheReadInputTokens, usage.CacheReadInputTokens);
        span.SetTag(ClaudeCacheTracing.GenAiCacheCreationInputTokens, usage.CacheCreationInputTokens);
        if (MessageJson.ReadStopReason(answer.Body.Span) is { } stopReason)
        {
            span.SetTag(ClaudeCacheTracing.GenAiResponseFinishReasons, new[] { stopReason });
        }
    }

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
