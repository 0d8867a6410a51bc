using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ClaudeCache.Testing;

/// <summary>
/// A deterministic generator of realistic Messages request bodies for a real-estate assistant. The same seed always
/// yields the same sequence of bodies, byte for byte.
/// </summary>
public sealed class RealEstateWorkload
{
    /// <summary>The <c>x-cache-context</c> of a property analysis (<see cref="PropertyAnalysis"/>).</summary>
    public const string PropertyAnalysisType = "property_analysis";
    /// <summary>The <c>x-cache-context</c> of a lead qualification (<see cref="LeadQualification"/>).</summary>
    public const string LeadQualificationType = "lead_qualification";
    /// <summary>The <c>x-cache-context</c> of a market question (<see cref="MarketAnalysis"/>).</summary>
    public const string MarketAnalysisType = "market_analysis";
    /// <summary>The <c>x-cache-context</c> of an explanation of a term (<see cref="Explanation"/>).</summary>
    public const string ExplanationType = "explanation";
    /// <summary>The <c>x-cache-context</c> of live-call coaching (<see cref="Coaching"/>).</summary>
    public const string CoachingType = "coaching";

    /// <summary>The model the workload asks for (an alias, as users write it).</summary>
    public const string Model = "claude-sonnet-4-5";

    /// <summary>The cheaper model used for explanations and coaching.</summary>
    public const string FastModel = "claude-haiku-4-5";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Seeded on purpose: determinism, not security, is the point (CA5394 is off under tests/).
    private readonly Random _random;

    /// <summary>A generator whose sequence of items is fixed by <paramref name="seed"/>.</summary>
    public RealEstateWorkload(int seed) => _random = new Random(seed);

    /// <summary>
    /// <paramref name="count"/> items; after the first, each is with probability <paramref name="repeatRatio"/> an exact
    /// repeat of an earlier unique item (earlier items are picked more often, like popular prompts).
    /// </summary>
    public static IEnumerable<WorkloadItem> Generate(int count, double repeatRatio, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeatRatio, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(repeatRatio, 1.0);
        return GenerateCore(count, repeatRatio, new RealEstateWorkload(seed));
    }

    /// <summary>A minimal valid Messages body: one user turn, optional system prompt.</summary>
    public static byte[] MessagesRequestBody(string model, string userText, bool stream = false, string? system = null, int maxTokens = 1024) =>
        Encoding.UTF8.GetBytes(Body(model, maxTokens, system, [("user", userText)], stream));

    /// <summary>A new, randomly chosen item (by a realistic mix of context types).</summary>
    public WorkloadItem Next()
    {
        int roll = _random.Next(100);
        return roll switch
        {
            < 35 => PropertyAnalysis(),
            < 55 => LeadQualification(),
            < 70 => MarketAnalysis(),
            < 85 => Explanation(),
            _ => Coaching(),
        };
    }

    /// <summary>A listing to analyse (price, size, rooms, features), with the analyst's system prompt.</summary>
    public WorkloadItem PropertyAnalysis()
    {
        var (city, state, zip) = Pick(RealEstateText.Cities);
        int bedrooms = _random.Next(1, 6);
        int bathrooms = Math.Max(1, bedrooms - _random.Next(0, 2));
        int sqft = 650 + (bedrooms * 420) + (_random.Next(0, 20) * 25);
        int price = ((sqft * _random.Next(180, 520)) / 1000) * 1000;
        int year = _random.Next(1948, 2024);
        string text = string.Create(
            CultureInfo.InvariantCulture,
            $"Please analyse this listing: {_random.Next(100, 9999)} {Pick(RealEstateText.Streets)}, {city}, {state} {zip}. " +
            $"Asking price ${price:N0}. {sqft:N0} sq ft, {bedrooms} bedrooms, {bathrooms} bathrooms, built {year}, " +
            $"with {Pick(RealEstateText.Features)} and {Pick(RealEstateText.Features)}. Is it fairly priced, and would it work as a rental?");
        return Item(PropertyAnalysisType, Model, RealEstateText.AnalystSystem, [("user", text)], stream: false, maxTokens: 2048);
    }

    /// <summary>A website lead (name, budget, timeline, financing) to qualify.</summary>
    public WorkloadItem LeadQualification()
    {
        var (city, _, _) = Pick(RealEstateText.Cities);
        int budget = _random.Next(25, 150) * 10_000;
        string text = string.Create(
            CultureInfo.InvariantCulture,
            $"New lead from the website form: \"Hi, I'm {Pick(RealEstateText.LeadNames)}. We're looking for a " +
            $"{_random.Next(2, 5)}-bedroom home in {city} around ${budget:N0}. We'd like to move {Pick(RealEstateText.Timelines)} " +
            $"and we're {Pick(RealEstateText.Financing)}.\" Qualify this lead.");
        return Item(LeadQualificationType, Model, RealEstateText.LeadSystem, [("user", text)], stream: false, maxTokens: 1024);
    }

    /// <summary>A question on today's prices in a city: content the policy treats as time-sensitive.</summary>
    public WorkloadItem MarketAnalysis()
    {
        var (city, state, _) = Pick(RealEstateText.Cities);
        string text = string.Create(
            CultureInfo.InvariantCulture,
            $"What are current market prices today in {city}, {state} for {_random.Next(2, 5)}-bedroom single-family homes?");
        return Item(MarketAnalysisType, Model, RealEstateText.MarketSystem, [("user", text)], stream: false, maxTokens: 1024);
    }

    /// <summary>An explanation of a real-estate term, on the cheaper model; few distinct ones, so they repeat often.</summary>
    public WorkloadItem Explanation() =>
        Item(ExplanationType, FastModel, RealEstateText.TutorSystem, [("user", Pick(RealEstateText.Explanations))], stream: false, maxTokens: 512);

    /// <summary>A short multi-turn exchange during a live call; streamed, as a coaching UI would.</summary>
    public WorkloadItem Coaching()
    {
        string opener = Pick(RealEstateText.AgentOpeners);
        string moment = Pick(RealEstateText.CoachingMoments);
        (string, string)[] turns =
        [
            ("user", opener),
            ("assistant", "I'm listening. Tell me what the client just said."),
            ("user", moment + " What do I say?"),
        ];
        return Item(CoachingType, FastModel, RealEstateText.CoachSystem, turns, stream: true, maxTokens: 256);
    }

    private static IEnumerable<WorkloadItem> GenerateCore(int count, double repeatRatio, RealEstateWorkload workload)
    {
        var unique = new List<WorkloadItem>();
        for (int i = 0; i < count; i++)
        {
            if (unique.Count > 0 && workload._random.NextDouble() < repeatRatio)
            {
                double u = workload._random.NextDouble();
                yield return unique[(int)(u * u * unique.Count)] with { IsRepeat = true };
                continue;
            }

            var item = workload.Next();
            unique.Add(item);
            yield return item;
        }
    }

    private static WorkloadItem Item(string type, string model, string system, (string Role, string Text)[] turns, bool stream, int maxTokens) =>
        new(type, Body(model, maxTokens, system, turns, stream), turns[^1].Text, stream, IsRepeat: false);

    private static string Body(string model, int maxTokens, string? system, (string Role, string Text)[] turns, bool stream)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("model", model);
            w.WriteNumber("max_tokens", maxTokens);
            if (system is not null)
            {
                w.WriteString("system", system);
            }

            w.WriteStartArray("messages");
            foreach (var (role, text) in turns)
            {
                w.WriteStartObject();
                w.WriteString("role", role);
                w.WriteString("content", text);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (stream)
            {
                w.WriteBoolean("stream", true);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];
}
