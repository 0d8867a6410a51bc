using System.Text;
using System.Text.Json;

namespace ClaudeCache.Testing;

/// <summary>
/// The fake's default answer: a deterministic function of the request, so the same request body always yields the
/// same text, model and usage (only ids differ).
/// </summary>
public static class DefaultResponder
{
    private static readonly string[] Sentences =
    [
        "The comparable sales within a half-mile radius support the current valuation within a five percent band.",
        "Days on market in this area have shortened over the last two quarters, which favours a prompt decision.",
        "A conservative estimate of rental income puts the gross yield slightly above the regional median.",
        "Inspection contingencies should cover the roof, the HVAC system and any visible foundation settlement.",
        "Financing at current rates changes the monthly carrying cost more than a small change in price would.",
        "Buyers in this segment usually weigh school district ratings and commute times above finishes.",
        "The lead's stated budget and timeline suggest a qualified prospect worth a same-day follow-up call.",
        "Inventory remains tight, so well-priced listings tend to attract multiple offers within the first week.",
        "A cap rate compares net operating income with the purchase price and ignores how the deal is financed.",
        "Property taxes and insurance premiums have risen faster than rents, which compresses cash flow.",
    ];

    /// <summary>The reply the fake sends when no <see cref="FakeAnthropicUpstream.Responder"/> is set.</summary>
    public static FakeReply Reply(ReceivedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string model = FakeReply.DefaultModel;
        string userText = string.Empty;
        try
        {
            using var doc = JsonDocument.Parse(request.Body);
            var root = doc.RootElement;
            if (root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String)
            {
                model = ModelCatalog.Resolve(m.GetString()!);
            }

            userText = LastUserText(root);
        }
        catch (JsonException)
        {
            // An unparsable body still gets a deterministic answer.
        }

        string text = TextFor(userText);
        return new FakeReply
        {
            Model = model,
            Content = [FakeBlock.Text(text)],
            StopReason = "end_turn",
            Usage = new FakeUsage(
                InputTokens: Math.Max(1, request.Body.Length / 4),
                OutputTokens: Math.Max(1, text.Length / 4)),
        };
    }

    /// <summary>"Analysis of: …" plus four sentences chosen by a stable hash of the user text.</summary>
    public static string TextFor(string userText)
    {
        ArgumentNullException.ThrowIfNull(userText);
        string head = userText.Length > 60 ? userText[..60] + "..." : userText;
        var sb = new StringBuilder("Analysis of: ").Append(head);
        uint hash = Fnv1a(userText);
        for (int i = 0; i < 4; i++)
        {
            sb.Append(' ').Append(Sentences[(int)((hash >> (i * 7)) % (uint)Sentences.Length)]);
        }

        return sb.ToString();
    }

    /// <summary>The text of the last user message (string content, or its text blocks joined by newlines).</summary>
    public static string LastUserText(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("messages", out var messages)
            || messages.ValueKind != JsonValueKind.Array)
        {
            return string.Empty;
        }

        string text = string.Empty;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object
                || !message.TryGetProperty("role", out var role)
                || role.ValueKind != JsonValueKind.String
                || role.GetString() != "user"
                || !message.TryGetProperty("content", out var content))
            {
                continue;
            }

            text = content.ValueKind switch
            {
                JsonValueKind.String => content.GetString()!,
                JsonValueKind.Array => string.Join('\n', content.EnumerateArray()
                    .Where(b => b.ValueKind == JsonValueKind.Object
                        && b.TryGetProperty("type", out var t) && t.ValueEquals("text")
                        && b.TryGetProperty("text", out var x) && x.ValueKind == JsonValueKind.String)
                    .Select(b => b.GetProperty("text").GetString())),
                _ => string.Empty,
            };
        }

        return text;
    }

    // FNV-1a: stable across processes, unlike string.GetHashCode.
    private static uint Fnv1a(string text)
    {
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash;
    }
}
