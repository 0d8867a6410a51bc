using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ClaudeCache.Testing;

/// <summary>
/// A deterministic mix of Messages traffic whose prompts share long prefixes without repeating exactly, for measuring
/// prompt caching: chats on three apps' long system prompts whose follow-up turns append the fake's own replies;
/// agent loops with 12 tools and 1–8 parallel tool calls per step (some steps add more than 20 blocks); bursts of 8
/// concurrent questions about one large document; exact repeats; one-off long prompts; streaming and not. The same
/// seed always yields the same items, byte for byte.
/// </summary>
public sealed class MixedPromptWorkload
{
    /// <summary>The model of most items; its minimum cacheable prefix is 1,024 tokens.</summary>
    public const string Model = "claude-sonnet-4-5";

    /// <summary>The third app's model; its minimum cacheable prefix is 4,096 tokens.</summary>
    public const string FastModel = "claude-haiku-4-5";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] Words =
    [
        "listing", "buyer", "seller", "appraisal", "escrow", "mortgage", "inspection", "closing", "zoning", "permit",
        "comparable", "square", "feet", "lot", "roof", "foundation", "rent", "yield", "tax", "insurance", "vacancy",
        "renovation", "kitchen", "bathroom", "garage", "school", "commute", "market", "inventory", "offer", "contingency",
        "title", "deed", "lease", "tenant", "landlord", "broker", "agent", "commission", "disclosure", "easement",
        "the", "a", "of", "and", "to", "in", "for", "with", "on", "by", "that", "is", "was", "should", "must", "may",
    ];

    private static readonly string[] ToolNames =
    [
        "search_listings", "get_listing", "get_comparables", "estimate_value", "get_tax_record", "get_school_ratings",
        "get_commute_times", "schedule_viewing", "draft_offer", "check_zoning", "get_flood_risk", "send_message",
    ];

    private readonly Random _random;
    private readonly List<(TimeSpan At, int Order, List<PromptWorkloadItem> Items)> _steps = [];

    private MixedPromptWorkload(int seed) => _random = new Random(seed);

    /// <summary>
    /// The workload for <paramref name="seed"/>, in send order. <paramref name="scale"/> multiplies the number of chat
    /// sessions, agent runs, bursts, repeats and one-offs (1: about 480 requests over about an hour of simulated time:
    /// 24 chats of 4–16 turns over 3 apps' system prompts, 6 agent runs of 12–28 steps, 6 bursts of 8, 40 exact
    /// repeats and 30 one-off long prompts — the mix issue 11 was measured on).
    /// </summary>
    public static IReadOnlyList<PromptWorkloadItem> Generate(int seed, int scale = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        var workload = new MixedPromptWorkload(seed);
        return workload.Build(scale);
    }

    private List<PromptWorkloadItem> Build(int scale)
    {
        var apps = new[]
        {
            (Model, System: Prose(2200, "You are the listing assistant of Harbor Realty.")),
            (Model, System: Prose(3000, "You are the mortgage desk assistant of Keystone Lending.")),
            (FastModel, System: Prose(2600, "You answer tenant questions for Parkside Property Management.")),
        };
        for (int i = 0; i < 24 * scale; i++)
        {
            var (model, system) = apps[i % apps.Length];
            Chat(model, system, Minutes(0, 45));
        }

        string agentSystem = Prose(1200, "You are an autonomous property research agent.");
        string tools = Tools();
        for (int i = 0; i < 6 * scale; i++)
        {
            Agent(agentSystem, tools, Minutes(0, 45));
        }

        for (int i = 0; i < 6 * scale; i++)
        {
            FanOut(Minutes(0, 55));
        }

        for (int i = 0; i < 30 * scale; i++)
        {
            Add(Minutes(0, 60), "oneoff", Body(Model, null, null, [("user", [Text(Prose(2500, "Please review this one-off report."))])], Stream()));
        }

        Repeats(40 * scale);

        var ordered = _steps.OrderBy(s => s.At).ThenBy(s => s.Order).ToList();
        var items = new List<PromptWorkloadItem>();
        for (int step = 0; step < ordered.Count; step++)
        {
            items.AddRange(ordered[step].Items.Select(item => item with { Step = step }));
        }

        return items;
    }

    /// <summary>A chat session: 4–16 turns, each repeating the conversation so far with the fake's actual replies.</summary>
    private void Chat(string model, string system, TimeSpan at)
    {
        var turns = new List<(string Role, string[] Blocks)>();
        int count = _random.Next(4, 17);
        for (int turn = 0; turn < count; turn++)
        {
            string question = Question();
            turns.Add(("user", [Text(question)]));
            Add(at, "chat", Body(model, system, null, turns, Stream()));

            // The fake answers every request with DefaultResponder's text for its last user message, proxy or not.
            turns.Add(("assistant", [Text(DefaultResponder.TextFor(question))]));
            at += TimeSpan.FromSeconds(_random.Next(20, 150));
        }
    }

    /// <summary>An agent run: a task, then 12–28 steps of 1–8 parallel tool calls and their results (the first step one call).</summary>
    private void Agent(string system, string tools, TimeSpan at)
    {
        var turns = new List<(string Role, string[] Blocks)> { ("user", [Text(Question() + " Research it thoroughly.")]) };
        Add(at, "agent", Body(Model, system, tools, turns, Stream()));
        int steps = _random.Next(12, 29);
        int bigStep = _random.Next(steps);
        for (int step = 0; step < steps; step++)
        {
            bool big = step == bigStep;
            int calls = big ? 8 : step == 0 ? 1 : _random.Next(1, 9);
            var uses = new List<string> { Text("I will call " + calls.ToString(CultureInfo.InvariantCulture) + " tools.") };
            var results = new List<string>();
            for (int call = 0; call < calls; call++)
            {
                string id = "toolu_" + _random.NextInt64().ToString("x16", CultureInfo.InvariantCulture);
                string tool = ToolNames[_random.Next(ToolNames.Length)];
                uses.Add(Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("type", "tool_use");
                    w.WriteString("id", id);
                    w.WriteString("name", tool);
                    w.WriteStartObject("input");
                    w.WriteString("query", Prose(12, string.Empty));
                    w.WriteEndObject();
                    w.WriteEndObject();
                }));
                string output = Prose(_random.Next(60, 500), tool + " returned:");
                results.Add(Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("type", "tool_result");
                    w.WriteString("tool_use_id", id);
                    w.WriteString("content", output);
                    w.WriteEndObject();
                }));
            }

            if (big)
            {
                // Log excerpts attached after the results: this step adds 1 + 8 + 8 + 6 = 23 blocks.
                for (int i = 0; i < 6; i++)
                {
                    results.Add(Text(Prose(40, "Log excerpt " + i.ToString(CultureInfo.InvariantCulture) + ":")));
                }
            }

            turns.Add(("assistant", [.. uses]));
            turns.Add(("user", [.. results]));
            at += TimeSpan.FromSeconds(_random.Next(3, 15));
            Add(at, "agent", Body(Model, system, tools, turns, Stream()));
        }
    }

    /// <summary>Eight concurrent questions about one large document (the leading user block).</summary>
    private void FanOut(TimeSpan at)
    {
        string document = Text(Prose(6000, "Purchase agreement and disclosures:"));
        var items = new List<PromptWorkloadItem>();
        for (int i = 0; i < 8; i++)
        {
            var turns = new List<(string Role, string[] Blocks)> { ("user", [document, Text(Question())]) };
            items.Add(new PromptWorkloadItem(0, at, "fanout", Body(Model, null, null, turns, Stream()), false));
        }

        _steps.Add((at, _steps.Count, [.. items.Select(Fix)]));
    }

    /// <summary>Byte-for-byte repeats of earlier single requests, 30 seconds to 10 minutes later.</summary>
    private void Repeats(int count)
    {
        var singles = _steps.Where(s => s.Items.Count == 1).ToList();
        for (int i = 0; i < count; i++)
        {
            var original = singles[_random.Next(singles.Count)].Items[0];
            var at = original.At + TimeSpan.FromSeconds(_random.Next(30, 600));
            _steps.Add((at, _steps.Count, [original with { At = at, Kind = "repeat" }]));
        }
    }

    private void Add(TimeSpan at, string kind, string body) =>
        _steps.Add((at, _steps.Count, [Fix(new PromptWorkloadItem(0, at, kind, body, false))]));

    private static PromptWorkloadItem Fix(PromptWorkloadItem item) =>
        item with { IsStreaming = item.Body.Contains("\"stream\":true", StringComparison.Ordinal) };

    private bool Stream() => _random.Next(10) < 3;

    private TimeSpan Minutes(int from, int to) => TimeSpan.FromSeconds(_random.Next(from * 60, to * 60));

    private string Question() =>
        "Question " + _random.Next(1_000_000).ToString(CultureInfo.InvariantCulture) + ": " + Prose(_random.Next(15, 60), string.Empty) + "?";

    /// <summary>Text of about <paramref name="tokens"/> tokens by <see cref="PromptTokens"/>' estimate.</summary>
    private string Prose(int tokens, string lead)
    {
        var sb = new StringBuilder(lead);

        // The words are ASCII: a running count of bytes is the UTF-8 size, without re-measuring the text each time.
        long bytes = Encoding.UTF8.GetByteCount(lead);
        while (PromptTokens.FromBytes(bytes) < tokens)
        {
            string word = Words[_random.Next(Words.Length)];
            sb.Append(' ').Append(word);
            bytes += 1 + word.Length;
            if (_random.Next(12) == 0)
            {
                sb.Append('.');
                bytes++;
            }
        }

        return sb.ToString().Trim();
    }

    private string Tools() => Json(w =>
    {
        w.WriteStartArray();
        foreach (string name in ToolNames)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("description", Prose(150, "Use " + name + " to"));
            w.WriteStartObject("input_schema");
            w.WriteString("type", "object");
            w.WriteStartObject("properties");
            w.WriteStartObject("query");
            w.WriteString("type", "string");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    private static string Text(string text) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("type", "text");
        w.WriteString("text", text);
        w.WriteEndObject();
    });

    /// <summary>A compact body; <paramref name="tools"/> and each block are JSON already.</summary>
    private static string Body(string model, string? system, string? tools, IEnumerable<(string Role, string[] Blocks)> turns, bool stream) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("model", model);
        w.WriteNumber("max_tokens", 1024);
        if (tools is not null)
        {
            w.WritePropertyName("tools");
            w.WriteRawValue(tools);
        }

        if (system is not null)
        {
            w.WriteString("system", system);
        }

        w.WriteStartArray("messages");
        foreach (var (role, blocks) in turns)
        {
            w.WriteStartObject();
            w.WriteString("role", role);
            w.WriteStartArray("content");
            foreach (string block in blocks)
            {
                w.WriteRawValue(block);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (stream)
        {
            w.WriteBoolean("stream", true);
        }

        w.WriteEndObject();
    });

    private static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
