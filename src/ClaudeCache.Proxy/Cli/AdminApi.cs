using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ClaudeCache.Proxy.Cli;

/// <summary>How the commands talk to a running proxy's admin API: the URL, the token, and its failures as values.</summary>
internal static class AdminApi
{
    /// <summary>The environment variable read when <c>--admin-token</c> is not given.</summary>
    public const string TokenVariable = "CLAUDECACHE_ADMIN_TOKEN";

    /// <summary>The admin token from <c>--admin-token</c>, else the environment.</summary>
    public static string? Token(string? option) =>
        option ?? Environment.GetEnvironmentVariable(TokenVariable) ?? Environment.GetEnvironmentVariable("CLAUDECACHE__ADMINTOKEN");

    /// <summary>
    /// Asks the admin API of the proxy at <paramref name="url"/> (<c>--url</c>) and reads its JSON answer, or returns the
    /// failure: 2 for a URL that is not http(s) and for what <see cref="SendAsync"/> says the user can fix, 1 for an
    /// answer that is not <paramref name="what"/> (e.g. "a stats report").
    /// </summary>
    public static async Task<(T? Answer, CliFailure? Failure)> AskAsync<T>(string url, HttpMethod method, string pathAndQuery, string? token, JsonTypeInfo<T> answer, string what,
        CancellationToken cancellationToken, byte[]? jsonBody = null)
        where T : class
    {
        if (!TryBaseAddress(url, out var baseAddress))
        {
            return (null, CliFailure.Usage($"--url '{url}' is not an http(s) URL."));
        }

        var (body, failure) = await SendAsync(method, baseAddress, pathAndQuery, token, cancellationToken, jsonBody).ConfigureAwait(false);
        if (failure is not null)
        {
            return (null, failure);
        }

        try
        {
            return (JsonSerializer.Deserialize(body!, answer), null);
        }
        catch (JsonException ex)
        {
            return (null, CliFailure.Other($"{baseAddress} did not answer with {what}: {ex.Message}"));
        }
    }

    /// <summary>Parses <c>--url</c>: an absolute http(s) URL, as the base of the admin paths.</summary>
    private static bool TryBaseAddress(string url, out Uri baseAddress) =>
        Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out baseAddress!) && baseAddress.Scheme is "http" or "https";

    /// <summary>
    /// Sends <paramref name="method"/> <paramref name="pathAndQuery"/> (with <paramref name="jsonBody"/>, if any) with the token; returns the body of a success,
    /// or the failure: 2 for what the user can fix (unreachable, no answer, 401), 1 for any other status.
    /// </summary>
    private static async Task<(string? Body, CliFailure? Failure)> SendAsync(HttpMethod method, Uri baseAddress, string pathAndQuery, string? token, CancellationToken cancellationToken, byte[]? jsonBody = null)
    {
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is { Length: > 0 })
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            using var request = new HttpRequestMessage(method, new Uri(pathAndQuery, UriKind.Relative));
            if (jsonBody is not null)
            {
                request.Content = new ByteArrayContent(jsonBody) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
            }

            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                // The proxy's own message is added only when it says more than the hint (the admin API is off);
                // "a valid admin token is required" after "an admin token is required" said it twice.
                var hint = token is { Length: > 0 } ? "the admin token was refused" : $"an admin token is required (--admin-token or ${TokenVariable})";
                var detail = ErrorMessage(body);
                detail = detail.Contains("token is required", StringComparison.OrdinalIgnoreCase) ? "" : detail;
                return (null, CliFailure.Usage($"{baseAddress} answered 401: {hint}. {detail}".TrimEnd()));
            }

            return response.IsSuccessStatusCode
                ? (body, null)
                : (null, CliFailure.Other($"{baseAddress} answered {(int)response.StatusCode}: {ErrorMessage(body)}".TrimEnd()));
        }
        catch (HttpRequestException ex)
        {
            return (null, CliFailure.Usage($"cannot reach the proxy at {baseAddress}: {ex.Message}"));
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, CliFailure.Usage($"the proxy at {baseAddress} did not answer within {client.Timeout.TotalSeconds:0} s."));
        }
    }

    /// <summary>The message of an Anthropic-shaped error body, or nothing.</summary>
    private static string ErrorMessage(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("error", out var e) && e.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }
}
