using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ClaudeCache.Testing;

/// <summary>
/// Realistic Messages request bodies at the sizes real traffic has: a short question (~0.3 KB), a conversation with a
/// long system prompt and eight turns (~36 KB), and an agent turn with 12 tool definitions and 34 steps of tool calls
/// and results (~184 KB). Deterministic: the same call returns the same bytes.
/// </summary>
public static class SizedRequests
{
    private static readonly string[] ToolFields = ["address", "city", "state", "zip", "radius_miles", "since"];

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A property question with no system prompt (~0.3 KB).</summary>
    public static byte[] Question() => Write(writer =>
    {
        Header(writer, maxTokens: 1024);
        writer.WriteStartArray("messages");
        Turn(writer, "user", "What is a fair asking price for a 3-bedroom, 2-bath ranch of 1,650 sq ft on a quarter-acre lot " +
            "in Austin, TX 78745, built in 1978 with a new roof, if the last three comparable sales closed at $455k, $472k and $489k?");
        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    /// <summary>A system prompt of ~7 KB and eight user/assistant turns with long answers (~36 KB).</summary>
    public static byte[] Conversation() => Write(writer =>
    {
        Header(writer, maxTokens: 2048);
        writer.WriteString("system", Repeat(RealEstateText.AnalystSystem, 5));
        writer.WriteStartArray("messages");
        for (var turn = 0; turn < 8; turn++)
        {
            var street = RealEstateText.Streets[turn % RealEstateText.Streets.Length];
            var (city, state, zip) = RealEstateText.Cities[turn % RealEstateText.Cities.Length];
            Turn(writer, "user", string.Create(CultureInfo.InvariantCulture,
                $"Turn {turn + 1}: analyse {100 + (turn * 37)} {street}, {city}, {state} {zip}: {3 + (turn % 3)} bedrooms, " +
                $"{2 + (turn % 2)} baths, {1_400 + (turn * 150)} sq ft, asking ${400 + (turn * 25)}k. " +
                $"Features: {string.Join(", ", RealEstateText.Features)}."));
            Turn(writer, "assistant", Repeat(RealEstateText.Explanations[turn % RealEstateText.Explanations.Length] + " " + RealEstateText.AnalystSystem, 2)
                + string.Create(CultureInfo.InvariantCulture, $" Valuation for turn {turn + 1}: ${390 + (turn * 24)}k to ${420 + (turn * 26)}k."));
        }

        Turn(writer, "user", "Compare the eight properties above and rank them for a buy-and-hold investor.");
        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    /// <summary>An agent turn: 12 tools, then 34 steps of tool calls (1–3 in parallel) and their results (~184 KB).</summary>
    public static byte[] AgentTurn() => Write(writer =>
    {
        Header(writer, maxTokens: 4096);
        writer.WriteString("system", RealEstateText.AnalystSystem + " You can call tools to look up listings, comparable sales, " +
            "tax records, rent estimates, flood maps and school ratings. Call several tools in parallel when they are independent.");
        writer.WriteStartArray("tools");
        for (var t = 0; t < 12; t++)
        {
            writer.WriteStartObject();
            writer.WriteString("name", "tool_" + t.ToString(CultureInfo.InvariantCulture));
            writer.WriteString("description", "Looks up " + RealEstateText.Features[t % RealEstateText.Features.Length] +
                " data for a property. " + RealEstateText.Explanations[t % RealEstateText.Explanations.Length]);
            writer.WriteStartObject("input_schema");
            writer.WriteString("type", "object");
            writer.WriteStartObject("properties");
            foreach (var field in ToolFields)
            {
                writer.WriteStartObject(field);
                writer.WriteString("type", field is "radius_miles" ? "number" : "string");
                writer.WriteString("description", "The " + field.Replace('_', ' ') + " to search.");
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteStartArray("required");
            writer.WriteStringValue("address");
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("messages");
        Turn(writer, "user", "Build a full investment memo for 4410 Oak Hollow Dr, Austin, TX 78745 with every data source you have.");
        for (var step = 0; step < 34; step++)
        {
            var calls = 1 + (step % 3);
            writer.WriteStartObject();
            writer.WriteString("role", "assistant");
            writer.WriteStartArray("content");
            writer.WriteStartObject();
            writer.WriteString("type", "text");
            writer.WriteString("text", string.Create(CultureInfo.InvariantCulture, $"Step {step + 1}: I will look up {calls} more sources."));
            writer.WriteEndObject();
            for (var c = 0; c < calls; c++)
            {
                writer.WriteStartObject();
                writer.WriteString("type", "tool_use");
                writer.WriteString("id", ToolId(step, c));
                writer.WriteString("name", "tool_" + ((step + c) % 12).ToString(CultureInfo.InvariantCulture));
                writer.WriteStartObject("input");
                writer.WriteString("address", "4410 Oak Hollow Dr");
                writer.WriteString("zip", "78745");
                writer.WriteNumber("radius_miles", 0.5 + c);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();

            writer.WriteStartObject();
            writer.WriteString("role", "user");
            writer.WriteStartArray("content");
            for (var c = 0; c < calls; c++)
            {
                writer.WriteStartObject();
                writer.WriteString("type", "tool_result");
                writer.WriteString("tool_use_id", ToolId(step, c));
                writer.WriteString("content", ToolResult(step, c));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    private static string ToolId(int step, int call) => string.Create(CultureInfo.InvariantCulture, $"toolu_{step:D2}{call}abcdefghijklmnopq");

    private static string ToolResult(int step, int call)
    {
        // A table of comparable records, as tools return them: ~2.3 KB per result.
        var rows = new List<string>();
        for (var r = 0; r < 33; r++)
        {
            var (city, state, zip) = RealEstateText.Cities[(step + r) % RealEstateText.Cities.Length];
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"{100 + (r * 13) + step} {RealEstateText.Streets[(r + call) % RealEstateText.Streets.Length]}, {city}, {state} {zip} | sold ${380 + r + step}k | {1_300 + (r * 40)} sq ft | {2 + (r % 3)} bd"));
        }

        return string.Join('\n', rows);
    }

    private static void Header(Utf8JsonWriter writer, int maxTokens)
    {
        writer.WriteStartObject();
        writer.WriteString("model", RealEstateWorkload.Model);
        writer.WriteNumber("max_tokens", maxTokens);
    }

    private static void Turn(Utf8JsonWriter writer, string role, string text)
    {
        writer.WriteStartObject();
        writer.WriteString("role", role);
        writer.WriteString("content", text);
        writer.WriteEndObject();
    }

    private static string Repeat(string text, int times) => string.Join(' ', Enumerable.Repeat(text, times));

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
