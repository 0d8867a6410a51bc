namespace ClaudeCache.Anthropic;

/// <summary>The <c>error.type</c> values of Anthropic's error envelope (docs/anthropic-wire.md §6), with their HTTP status.</summary>
public static class ErrorTypes
{
    /// <summary>400: the request is malformed.</summary>
    public const string InvalidRequest = "invalid_request_error";

    /// <summary>401: missing or bad credentials.</summary>
    public const string Authentication = "authentication_error";

    /// <summary>402: a billing problem.</summary>
    public const string Billing = "billing_error";

    /// <summary>403: the key may not use this resource.</summary>
    public const string Permission = "permission_error";

    /// <summary>404: no such resource.</summary>
    public const string NotFound = "not_found_error";

    /// <summary>409: a conflicting request.</summary>
    public const string Conflict = "conflict_error";

    /// <summary>413: the body is over the size limit.</summary>
    public const string RequestTooLarge = "request_too_large";

    /// <summary>429: rate limited.</summary>
    public const string RateLimit = "rate_limit_error";

    /// <summary>500: an unexpected server error.</summary>
    public const string Api = "api_error";

    /// <summary>504: the request timed out.</summary>
    public const string Timeout = "timeout_error";

    /// <summary>529: the API is overloaded.</summary>
    public const string Overloaded = "overloaded_error";

    /// <summary>The HTTP status that goes with an error type; 500 for types this table does not know.</summary>
    public static int StatusCodeOf(string errorType) => errorType switch
    {
        InvalidRequest => 400,
        Authentication => 401,
        Billing => 402,
        Permission => 403,
        NotFound => 404,
        Conflict => 409,
        RequestTooLarge => 413,
        RateLimit => 429,
        Api => 500,
        Timeout => 504,
        Overloaded => 529,
        _ => 500,
    };
}
