using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ClaudeCache.Warming;

/// <summary>
/// Sends warming requests to <c>POST /v1/messages</c> of a running proxy, as an SDK would: <c>anthropic-version</c>,
/// the API key (only forwarded — the proxy partitions entries under it, so it must be the key the real traffic
/// uses), and the request's own headers. The answer's body is read to the end, so a streamed answer is complete
/// (and stored) before the request counts as warmed.
/// </summary>
public sealed class HttpWarmingSender
{
    /// <summary>The <c>anthropic-version</c> sent when a request does not name one.</summary>
    public const string AnthropicVersion = "2023-06-01";

    private readonly HttpClient _client;
    private readonly Uri _messages;
    private readonly string? _apiKey;
    private readonly TimeProvider _time;

    /// <param name="client">The client to send with (its timeout applies to each request).</param>
    /// <param name="proxyBaseAddress">The proxy's root, e.g. <c>http://127.0.0.1:8787/</c>.</param>
    /// <param name="apiKey">Sent as <c>x-api-key</c>; null sends none.</param>
    /// <param name="time">The clock for elapsed times (default: the system's).</param>
    public HttpWarmingSender(HttpClient client, Uri proxyBaseAddress, string? apiKey, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(proxyBaseAddress);
        _client = client;
        _messages = new Uri(new Uri(proxyBaseAddress.ToString().TrimEnd('/') + "/"), "v1/messages");
        _apiKey = apiKey;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Sends one request; failures are returned as <see cref="WarmingOutcome.Failed"/> results, not thrown.</summary>
    public async Task<WarmingResult> SendAsync(WarmingRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = _time.GetTimestamp();
        using var message = new HttpRequestMessage(HttpMethod.Post, _messages)
        {
            Content = new StringContent(request.Body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        if (!request.Headers.ContainsKey("anthropic-version"))
        {
            message.Headers.TryAddWithoutValidation("anthropic-version", AnthropicVersion);
        }

        if (_apiKey is { Length: > 0 })
        {
            message.Headers.TryAddWithoutValidation("x-api-key", _apiKey);
        }

        foreach (var (name, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        try
        {
            using var response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var cache = response.Headers.TryGetValues("x-cache", out var values) ? string.Join(",", values) : null;
            var outcome = WarmingResult.Classify(status, cache, request.PrewarmPrompt);
            var error = outcome == WarmingOutcome.Failed ? ErrorMessage(body) is { Length: > 0 } m ? m : $"HTTP {status}" : null;
            return new WarmingResult(request, outcome, status, cache, _time.GetElapsedTime(started), error);
        }
        catch (HttpRequestException ex)
        {
            return WarmingResult.Failure(request, ex.Message, _time.GetElapsedTime(started));
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return WarmingResult.Failure(request, $"no answer within {_client.Timeout.TotalSeconds:0} s", _time.GetElapsedTime(started));
        }
    }

    /// <summary>The message of an Anthropic error envelope, or nothing.</summary>
    private static string ErrorMessage(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var e)
                && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }
}
