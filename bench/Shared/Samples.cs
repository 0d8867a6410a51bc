using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ClaudeCache.Entries;
using ClaudeCache.Policy;
using ClaudeCache.Testing;

namespace ClaudeCache.Bench;

/// <summary>
/// Realistic inputs shared by the micro-benchmarks and the load test: a ~10 KB multi-turn request built from the
/// real-estate workload, and a ~3 KB Message with its SSE stream captured from <see cref="FakeAnthropicUpstream"/>.
/// </summary>
internal static class Samples
{
    /// <summary>A property analysis of the length the analyst system prompt asks for (~2.6 KB of text).</summary>
    public const string LongAnswer =
        "**Summary:** fairly priced for an owner-occupier, slightly rich as a pure rental; worth a showing this week.\n\n" +
        "**Valuation.** The three closest comparable sales of the last six months, all within half a mile and within " +
        "fifteen percent of the living area, closed between $412,000 and $447,500. Adjusting for the extra bathroom " +
        "(+$9,000), the older roof (-$12,000) and the finished basement (+$15,000), a fair market value range is " +
        "$418,000 to $441,000, so the asking price of $439,900 sits at the top of the range. Confidence is moderate: " +
        "only one comparable had a comparable lot, and the renovation quality cannot be judged from photographs.\n\n" +
        "**Investment view.** Achievable rent for a three-bedroom, two-bathroom single-family home in this school zone " +
        "is about $2,450 a month, which gives a gross yield of 6.7 %. After property taxes ($5,900 a year), insurance " +
        "($1,650), maintenance at 8 % of rent ($2,350) and a 5 % vacancy allowance ($1,470), net operating income is " +
        "about $18,030, a capitalisation rate of 4.1 % at the asking price. That is below the regional median of 5.2 % " +
        "for this property type, so the numbers only work for an investor who expects appreciation or can negotiate " +
        "the price down by at least $25,000.\n\n" +
        "**Risks to inspect.**\n" +
        "- Roof: the listing says 2009; asphalt shingles of that age are near the end of their life. Budget $11,000 to " +
        "$14,000 for a replacement within three years.\n" +
        "- Foundation and drainage: the lot slopes toward the house on the north side; look for efflorescence and " +
        "settlement cracks in the basement walls, and ask whether the sump pump has run recently.\n" +
        "- Electrical: homes of this age in the area often still have a 100-amp panel; an upgrade to 200 amps costs " +
        "$2,500 to $4,000 and is needed for an EV charger or a heat pump.\n" +
        "- Permits: confirm that the basement finish and the rear deck were permitted; unpermitted work complicates " +
        "financing and insurance.\n" +
        "- HOA: none is mentioned, but check the plat for deed restrictions on rentals or accessory dwelling units.\n\n" +
        "**Market context.** Days on market in this neighbourhood fell from 34 to 21 over the last two quarters and " +
        "inventory is at 1.8 months, so a well-presented listing near the top of its range can still attract more than " +
        "one offer. Mortgage rates matter more than a small price change here: at 6.75 % each $10,000 of price moves the " +
        "monthly payment by about $65, while a quarter-point change in rate moves it by about $70.\n\n" +
        "**Recommended next step.** Book a showing, ask the listing agent for the roof and HVAC invoices and the " +
        "disclosure statement, and prepare your buyers for an offer between $425,000 and $432,000 with inspection and " +
        "appraisal contingencies. If they are investors, run the numbers again at that price before they commit.";

    private static readonly JsonWriterOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// A ~10 KB Messages request: the analyst system prompt, then property analyses with the assistant's answers,
    /// as a chat UI sends the whole conversation on every turn.
    /// </summary>
    public static byte[] LargeRequest(int targetBytes = 10 * 1024)
    {
        var workload = new RealEstateWorkload(seed: 42);
        var first = workload.PropertyAnalysis();
        using var firstDoc = JsonDocument.Parse(first.Body);
        var system = firstDoc.RootElement.GetProperty("system").GetString()!;

        var turns = new List<(string Role, string Text)> { ("user", first.UserText) };
        var size = system.Length + first.UserText.Length;
        while (size < targetBytes - 600)
        {
            var answer = DefaultResponder.TextFor(turns[^1].Text);
            var next = workload.PropertyAnalysis().UserText;
            turns.Add(("assistant", answer));
            turns.Add(("user", next));
            size += answer.Length + next.Length + 60;
        }

        var buffer = new ArrayBufferWriter<byte>(targetBytes + 1024);
        using (var w = new Utf8JsonWriter(buffer, Relaxed))
        {
            w.WriteStartObject();
            w.WriteString("model", RealEstateWorkload.Model);
            w.WriteNumber("max_tokens", 2048);
            w.WriteNumber("temperature", 0.2);
            w.WriteString("system", system);
            w.WriteStartArray("messages");
            foreach (var (role, text) in turns)
            {
                w.WriteStartObject();
                w.WriteString("role", role);
                w.WriteString("content", text);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("metadata");
            w.WriteString("user_id", "agent-4711");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A reply the fake upstream sends with <see cref="LongAnswer"/> as its one text block.</summary>
    public static FakeReply LongReply() => FakeReply.TextReply(
        LongAnswer,
        usage: new FakeUsage(InputTokens: 2611, OutputTokens: LongAnswer.Length / 4));

    /// <summary>Runs the fake upstream once and captures a ~3 KB Message and the SSE stream of the same reply.</summary>
    public static async Task<(byte[] MessageJson, byte[] Sse)> CaptureFromFakeAsync()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync();
        fake.Responder = _ => LongReply();
        using var client = new HttpClient { BaseAddress = fake.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-ant-bench");
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");

        async Task<byte[]> PostAsync(bool stream)
        {
            using var content = new ByteArrayContent(RealEstateWorkload.MessagesRequestBody(RealEstateWorkload.Model, "Analyse 12 Oak Street", stream));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync(new Uri("v1/messages", UriKind.Relative), content);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadAsByteArrayAsync();
        }

        return (await PostAsync(stream: false), await PostAsync(stream: true));
    }

    /// <summary>A stored entry: the Message alone, or the Message plus its recorded stream.</summary>
    public static CachedResponse Entry(byte[] messageJson, byte[]? sse, DateTimeOffset createdAt) => new()
    {
        Kind = ResponseKind.Message,
        CreatedAt = createdAt,
        ExpiresAt = createdAt.AddHours(24),
        Strategy = CacheStrategy.Standard,
        Model = FakeReply.DefaultModel,
        ContextType = RealEstateWorkload.PropertyAnalysisType,
        Body = messageJson,
        RawSse = sse ?? ReadOnlyMemory<byte>.Empty,
    };

    /// <summary>Describes a byte count for console output.</summary>
    public static string Kb(long bytes) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KB");

    public static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
