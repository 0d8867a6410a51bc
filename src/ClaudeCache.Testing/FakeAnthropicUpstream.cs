using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ClaudeCache.Testing;

/// <summary>
/// A faithful fake of Anthropic's Messages API on a real Kestrel server at <c>127.0.0.1:&lt;dynamic port&gt;</c>.
/// Every response is byte-shaped like the real API's (docs/anthropic-wire.md §4–6); behaviour is scripted per test through
/// <see cref="Responder"/> and <see cref="BeforeRespond"/>, and every request is counted and recorded.
/// </summary>
public sealed class FakeAnthropicUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _receivedLock = new();
    private readonly List<ReceivedRequest> _received = [];
    private int _messagesCalls;
    private int _countTokensCalls;
    private int _totalCalls;
    private FakeUsageTotals _usage = new(0, 0, 0, 0, 0, 0);

    private FakeAnthropicUpstream(WebApplication app) => _app = app;

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:54321/</c>: use it as the SDK's or proxy's base URL.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Builds the reply to each <c>POST /v1/messages</c>. Defaults to <see cref="DefaultResponder.Reply"/>.</summary>
    public Func<ReceivedRequest, FakeReply> Responder { get; set; } = DefaultResponder.Reply;

    /// <summary>
    /// Awaited (with the request-aborted token) before any response begins, on every route, after the request was
    /// recorded and counted. Tests use it as a gate to hold concurrent requests.
    /// </summary>
    public Func<ReceivedRequest, CancellationToken, Task>? BeforeRespond { get; set; }

    /// <summary>The <c>anthropic-organization-id</c> header every response carries, as the API sends the caller's organisation.</summary>
    public string OrganizationId { get; set; } = "00000000-0000-4000-8000-000000000000";

    /// <summary>
    /// The simulated prompt cache (on by default): requests that carry <c>cache_control</c> report cache reads and
    /// writes in their usage; requests without it are answered as if it were off.
    /// </summary>
    public PromptCacheSimulator PromptCache { get; } = new();

    /// <summary>Requests to <c>POST /v1/messages</c> (any query string), rejected ones included.</summary>
    public int MessagesCalls => Volatile.Read(ref _messagesCalls);

    /// <summary>Requests to <c>POST /v1/messages/count_tokens</c>.</summary>
    public int CountTokensCalls => Volatile.Read(ref _countTokensCalls);

    /// <summary>Every request the server received, on any route.</summary>
    public int TotalCalls => Volatile.Read(ref _totalCalls);

    /// <summary>The usage reported so far, summed over every message answered (what the calls would have billed).</summary>
    public FakeUsageTotals UsageTotals
    {
        get
        {
            lock (_receivedLock)
            {
                return _usage;
            }
        }
    }

    /// <summary>A snapshot of every request received, in arrival order.</summary>
    public IReadOnlyList<ReceivedRequest> Received
    {
        get
        {
            lock (_receivedLock)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Starts a server on a free loopback port.</summary>
    public static async Task<FakeAnthropicUpstream> StartAsync(CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options =>
        {
            options.AddServerHeader = false;
            options.Limits.MaxRequestBodySize = null;
            options.Listen(IPAddress.Loopback, 0);
        });

        var app = builder.Build();
        var fake = new FakeAnthropicUpstream(app);
        app.Run(fake.HandleAsync);
        await app.StartAsync(ct);
        fake.BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
        return fake;
    }

    /// <summary>Zeroes the counters and forgets the recorded requests.</summary>
    public void ResetCounters()
    {
        Interlocked.Exchange(ref _messagesCalls, 0);
        Interlocked.Exchange(ref _countTokensCalls, 0);
        Interlocked.Exchange(ref _totalCalls, 0);
        lock (_receivedLock)
        {
            _received.Clear();
            _usage = new FakeUsageTotals(0, 0, 0, 0, 0, 0);
        }
    }

    /// <summary>Stops the server, aborting requests still held by <see cref="BeforeRespond"/> after a 2-second grace period.</summary>
    public async ValueTask DisposeAsync()
    {
        // Requests still held by a BeforeRespond gate are aborted when the grace period ends.
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _app.StopAsync(grace.Token);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        // :: Step 1 — record and count, before anything can reject the request.
        var request = await ReadAsync(context);
        string requestId = FakeIds.NewRequestId();
        context.Response.Headers["request-id"] = requestId;
        context.Response.Headers["anthropic-organization-id"] = OrganizationId;
        Record(request);

        // :: Step 2 — the headers every endpoint requires.
        if (request.Header("anthropic-version") is null)
        {
            await ResponseWriter.ErrorAsync(context, 400, "invalid_request_error", "anthropic-version: header is required", requestId);
            return;
        }

        if (request.Header("x-api-key") is null
            && !(request.Header("authorization")?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ?? false))
        {
            await ResponseWriter.ErrorAsync(context, 401, "authentication_error", "x-api-key header is required", requestId);
            return;
        }

        // :: Step 3 — route.
        switch (request.Method, request.Path)
        {
            case ("POST", "/v1/messages"):
                await MessagesAsync(context, request, requestId);
                break;
            case ("POST", "/v1/messages/count_tokens"):
                await CountTokensAsync(context, request, requestId);
                break;
            case ("GET", "/v1/models"):
                await GateAsync(context, request);
                await ModelListAsync(context, requestId);
                break;
            case ("GET", _) when request.Path.StartsWith("/v1/models/", StringComparison.Ordinal):
                await GateAsync(context, request);
                await ModelAsync(context, request.Path["/v1/models/".Length..], requestId);
                break;
            default:
                await ResponseWriter.ErrorAsync(context, 404, "not_found_error", "Not found", requestId);
                break;
        }
    }

    private async Task MessagesAsync(HttpContext context, ReceivedRequest request, string requestId)
    {
        if (Validate(request.Body, requireMaxTokens: true) is string problem)
        {
            await ResponseWriter.ErrorAsync(context, 400, "invalid_request_error", problem, requestId);
            return;
        }

        // The prompt cache is looked up on arrival, before any gate or latency: requests that arrive together on a
        // cold prefix all miss, as they do at Anthropic.
        var cachePlan = PromptCache.Plan(request);
        if (cachePlan?.Error is string cacheProblem)
        {
            await ResponseWriter.ErrorAsync(context, 400, "invalid_request_error", cacheProblem, requestId);
            return;
        }

        await GateAsync(context, request);
        var reply = Responder(request);
        if (cachePlan is not null && reply.Error is null)
        {
            reply = cachePlan.Apply(reply);

            // An entry is usable once the response that writes it has begun.
            context.Response.OnStarting(() =>
            {
                PromptCache.Commit(cachePlan);
                return Task.CompletedTask;
            });
        }

        if (reply.Error is null)
        {
            AddUsage(reply.Usage);
        }

        if (reply.Latency > TimeSpan.Zero)
        {
            await Task.Delay(reply.Latency, context.RequestAborted);
        }

        if (reply.Error is not null)
        {
            await ResponseWriter.ErrorAsync(context, reply.Error, requestId);
        }
        else if (request.IsStreaming)
        {
            await ResponseWriter.StreamAsync(context, reply, requestId);
        }
        else
        {
            await ResponseWriter.JsonAsync(context, 200, WireJson.Message(reply));
        }
    }

    private async Task CountTokensAsync(HttpContext context, ReceivedRequest request, string requestId)
    {
        if (Validate(request.Body, requireMaxTokens: false) is string problem)
        {
            await ResponseWriter.ErrorAsync(context, 400, "invalid_request_error", problem, requestId);
            return;
        }

        await GateAsync(context, request);
        await ResponseWriter.JsonAsync(context, 200, WireJson.CountTokens(CountTokens(request.Body)));
    }

    /// <summary>UTF-8 bytes of the <c>messages</c>, <c>system</c> and <c>tools</c> JSON, divided by 4 (at least 1).</summary>
    public static int CountTokens(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        int bytes = 0;
        foreach (string name in (string[])["messages", "system", "tools"])
        {
            if (doc.RootElement.TryGetProperty(name, out var value))
            {
                bytes += Encoding.UTF8.GetByteCount(value.GetRawText());
            }
        }

        return Math.Max(1, bytes / 4);
    }

    private static Task ModelListAsync(HttpContext context, string requestId)
    {
        var query = context.Request.Query;
        var models = ModelCatalog.Models;
        int limit = int.TryParse(query["limit"], out int l) ? Math.Clamp(l, 1, 1000) : 20;
        int start = 0;
        int end = models.Count;
        if (query["after_id"].ToString() is { Length: > 0 } after)
        {
            start = ModelCatalog.IndexOf(after) + 1;
        }

        if (query["before_id"].ToString() is { Length: > 0 } before)
        {
            end = Math.Max(0, ModelCatalog.IndexOf(before));
            start = Math.Max(start, end - limit);
        }

        if (start <= 0 && query["after_id"].Count > 0)
        {
            return ResponseWriter.ErrorAsync(context, 404, "not_found_error", "after_id: model not found", requestId);
        }

        int count = Math.Max(0, Math.Min(limit, end - start));
        return ResponseWriter.JsonAsync(context, 200, WireJson.ModelPage(start, count));
    }

    private static Task ModelAsync(HttpContext context, string id, string requestId)
    {
        int index = ModelCatalog.IndexOf(Uri.UnescapeDataString(id));
        return index < 0
            ? ResponseWriter.ErrorAsync(context, 404, "not_found_error", $"model: {id}", requestId)
            : ResponseWriter.JsonAsync(context, 200, WireJson.Model(index));
    }

    private Task GateAsync(HttpContext context, ReceivedRequest request) =>
        BeforeRespond?.Invoke(request, context.RequestAborted) ?? Task.CompletedTask;

    /// <summary>The API's own 400s for a malformed body; null when the body is acceptable.</summary>
    private static string? Validate(byte[] body, bool requireMaxTokens)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return "Input should be a valid dictionary";
            }

            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String)
            {
                return "model: Field required";
            }

            if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            {
                return "messages: Field required";
            }

            if (requireMaxTokens && (!root.TryGetProperty("max_tokens", out var max) || max.ValueKind != JsonValueKind.Number))
            {
                return "max_tokens: Field required";
            }

            return null;
        }
        catch (JsonException)
        {
            return "There was an issue with your request. The request body is not valid JSON.";
        }
    }

    private static async Task<ReceivedRequest> ReadAsync(HttpContext context)
    {
        var http = context.Request;
        using var buffer = new MemoryStream();
        await http.Body.CopyToAsync(buffer, context.RequestAborted);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in http.Headers)
        {
            headers[header.Key] = string.Join(", ", header.Value.ToArray());
        }

        return new ReceivedRequest(http.Method, http.Path.Value ?? "/", http.QueryString.Value ?? string.Empty, headers, buffer.ToArray());
    }

    private void AddUsage(FakeUsage usage)
    {
        lock (_receivedLock)
        {
            _usage = new FakeUsageTotals(
                _usage.Replies + 1,
                _usage.InputTokens + usage.InputTokens,
                _usage.CacheCreation5m + usage.CacheCreation5m,
                _usage.CacheCreation1h + usage.CacheCreation1h,
                _usage.CacheRead + usage.CacheRead,
                _usage.OutputTokens + usage.OutputTokens);
        }
    }

    private void Record(ReceivedRequest request)
    {
        Interlocked.Increment(ref _totalCalls);
        if (request.Method == "POST" && request.Path == "/v1/messages")
        {
            Interlocked.Increment(ref _messagesCalls);
        }
        else if (request.Method == "POST" && request.Path == "/v1/messages/count_tokens")
        {
            Interlocked.Increment(ref _countTokensCalls);
        }

        lock (_receivedLock)
        {
            _received.Add(request);
        }
    }
}
