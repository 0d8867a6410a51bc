using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeCache.Policy;
using ClaudeCache.PromptCaching;

namespace ClaudeCache.Warming;

/// <summary>
/// A named list of requests to send ahead of real traffic, so its first callers already hit the cache: the
/// explanations, analyses and questions an application is known to ask. Loaded from a JSON file (see
/// <c>docs/warming.md</c>):
/// <code>
/// { "name": "real-estate", "concurrency": 4, "interval": "6h",
///   "requests": [ { "name": "explain-cap-rate", "headers": { "x-cache-context": "explanation" },
///                   "body": { "model": "claude-sonnet-4-5", "max_tokens": 512, "messages": [ ... ] } } ] }
/// </code>
/// </summary>
public sealed record WarmingProfile
{
    /// <summary>The concurrency when a profile gives none.</summary>
    public const int DefaultConcurrency = 4;

    /// <summary>The highest concurrency a profile may ask for: warming must never look like a flood.</summary>
    public const int MaxConcurrency = 64;

    // Credentials come from the sender (the CLI's --api-key, the proxy's configuration), never from a file that
    // gets committed and shared.
    private static readonly string[] ForbiddenHeaders = ["x-api-key", "authorization", "proxy-authorization", "cookie"];

    /// <summary>The profile's name, for reports and logs.</summary>
    public required string Name { get; init; }

    /// <summary>The requests, in the order they are started.</summary>
    public required IReadOnlyList<WarmingRequest> Requests { get; init; }

    /// <summary>How many requests may be in flight at once (1..<see cref="MaxConcurrency"/>).</summary>
    public int Concurrency { get; init; } = DefaultConcurrency;

    /// <summary>How often a scheduled profile runs again; null to run once.</summary>
    public TimeSpan? Interval { get; init; }

    /// <summary>Reads and validates a profile file.</summary>
    /// <exception cref="WarmingProfileException">The file is missing, not JSON, or not a valid profile; the message says which and where.</exception>
    public static WarmingProfile Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        string json;
        try
        {
            json = File.ReadAllText(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WarmingProfileException($"warming profile '{fullPath}': cannot be read: {ex.Message}", ex);
        }

        return Parse(json, fullPath);
    }

    /// <summary>Parses and validates a profile; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="WarmingProfileException">Not JSON, or not a valid profile.</exception>
    public static WarmingProfile Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return Read(document.RootElement, source);
        }
        catch (JsonException ex)
        {
            throw new WarmingProfileException($"warming profile '{source}': not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Parses an interval: a duration like <c>30m</c>, <c>6h</c>, <c>1d</c>, <c>90s</c>, or a TimeSpan (<c>06:00:00</c>).</summary>
    public static bool TryParseInterval(string? text, out TimeSpan interval)
    {
        interval = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        var unit = text[^1];
        if (char.IsLetter(unit) && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            TimeSpan? parsed = char.ToLowerInvariant(unit) switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            interval = parsed ?? default;
            return parsed is not null;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out interval) && interval > TimeSpan.Zero;
    }

    private static WarmingProfile Read(JsonElement root, string source)
    {
        WarmingProfileException Problem(string message) => new($"warming profile '{source}': {message}");

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Problem("the root must be a JSON object with \"name\" and \"requests\".");
        }

        var name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(n.GetString())
            ? n.GetString()!
            : throw Problem("\"name\" must be a non-empty string.");

        var concurrency = DefaultConcurrency;
        if (root.TryGetProperty("concurrency", out var c))
        {
            if (c.ValueKind != JsonValueKind.Number || !c.TryGetInt32(out concurrency) || concurrency is < 1 or > MaxConcurrency)
            {
                throw Problem($"\"concurrency\" must be a whole number from 1 to {MaxConcurrency}, not {c.GetRawText()}.");
            }
        }

        TimeSpan? interval = null;
        if (root.TryGetProperty("interval", out var i) && i.ValueKind != JsonValueKind.Null)
        {
            interval = i.ValueKind == JsonValueKind.String && TryParseInterval(i.GetString(), out var parsed)
                ? parsed
                : throw Problem($"\"interval\" must be a positive duration like \"30m\", \"6h\", \"1d\" or \"06:00:00\", not {i.GetRawText()}.");
        }

        if (!root.TryGetProperty("requests", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            throw Problem("\"requests\" must be a non-empty array.");
        }

        var requests = new List<WarmingRequest>(list.GetArrayLength());
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            requests.Add(ReadRequest(item, $"requests[{index}]", index, Problem));
            index++;
        }

        return new WarmingProfile { Name = name, Requests = requests, Concurrency = concurrency, Interval = interval };
    }

    private static WarmingRequest ReadRequest(JsonElement item, string where, int index, Func<string, WarmingProfileException> problem)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw problem($"{where} must be an object with a \"body\".");
        }

        var name = $"#{index + 1}";
        if (item.TryGetProperty("name", out var n))
        {
            name = n.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(n.GetString()) ? n.GetString()! : throw problem($"{where}.name must be a non-empty string.");
        }

        if (!item.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.Object)
        {
            throw problem($"{where} ({name}): \"body\" must be a Messages API request object.");
        }

        // The fields the proxy itself requires: a profile that cannot warm anything should fail here, not 400 at run time.
        if (!body.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(model.GetString()))
        {
            throw problem($"{where} ({name}): body.model must be a non-empty string.");
        }

        if (!body.TryGetProperty("max_tokens", out var maxTokens) || maxTokens.ValueKind != JsonValueKind.Number || !maxTokens.TryGetInt32(out var max) || max < 1)
        {
            throw problem($"{where} ({name}): body.max_tokens must be a positive whole number.");
        }

        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            throw problem($"{where} ({name}): body.messages must be a non-empty array.");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (item.TryGetProperty("headers", out var h))
        {
            if (h.ValueKind != JsonValueKind.Object)
            {
                throw problem($"{where} ({name}): \"headers\" must be an object of strings.");
            }

            foreach (var header in h.EnumerateObject())
            {
                if (ForbiddenHeaders.Contains(header.Name, StringComparer.OrdinalIgnoreCase))
                {
                    throw problem($"{where} ({name}): header '{header.Name}' does not belong in a profile; the API key is given to the warmer (--api-key, ApiKey).");
                }

                if (header.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(header.Name))
                {
                    throw problem($"{where} ({name}): header '{header.Name}' must have a string value.");
                }

                headers[header.Name] = header.Value.GetString()!;
            }
        }

        if (!item.TryGetProperty("prewarmPrompt", out var prewarm) || prewarm.ValueKind == JsonValueKind.False)
        {
            return new WarmingRequest(name, body.GetRawText(), headers);
        }

        if (prewarm.ValueKind != JsonValueKind.True)
        {
            throw problem($"{where} ({name}): \"prewarmPrompt\" must be true or false.");
        }

        if (PrewarmProblem(body) is { } refused)
        {
            throw problem($"{where} ({name}): \"prewarmPrompt\" cannot be used {refused} (the API refuses max_tokens: 0 with it).");
        }

        // The proxy places every structural breakpoint (a pre-warm writes before any request came back), unless the
        // profile says how; a body with its own cache_control keeps it.
        headers.TryAdd(CacheHeaderNames.PromptBreakpoints, PromptBreakpointModes.Always);
        return new WarmingRequest(name, PrewarmBody(body), headers, PrewarmPrompt: true);
    }

    /// <summary>
    /// The entry's request as a prompt-cache pre-warm: <c>max_tokens: 0</c> (the prompt is processed and cached,
    /// nothing is generated) and no stream (the API refuses <c>max_tokens: 0</c> with one). Everything else, the
    /// prefix included, is the real request's.
    /// </summary>
    private static string PrewarmBody(JsonElement body)
    {
        var node = JsonNode.Parse(body.GetRawText())!.AsObject();
        node["max_tokens"] = 0;
        node.Remove("stream");
        return node.ToJsonString();
    }

    // The API refuses max_tokens: 0 with extended thinking and with a forced tool_choice.
    private static string? PrewarmProblem(JsonElement body)
    {
        if (body.TryGetProperty("thinking", out var thinking) && thinking.ValueKind == JsonValueKind.Object
            && !(thinking.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("disabled")))
        {
            return "with extended thinking";
        }

        return body.TryGetProperty("tool_choice", out var choice) && choice.ValueKind == JsonValueKind.Object
            && choice.TryGetProperty("type", out var choiceType) && choiceType.ValueKind == JsonValueKind.String
            && (choiceType.ValueEquals("any") || choiceType.ValueEquals("tool"))
            ? "with a forced tool_choice"
            : null;
    }
}
