using System.Globalization;
using ClaudeCache.Anthropic;
using ClaudeCache.Costs;
using static ClaudeCache.Tests.Costs.TokenClass;

namespace ClaudeCache.Tests.Costs;

public sealed class CostCalculatorTests
{
    // After Sonnet 5.5's cache-read cut, so every row prices at today's rates.
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly CostCalculator calculator = new(PriceTable.LoadDefault());

    /// <summary>1,234 tokens of one class: expected = 1,234 × rate / 1,000,000 = rate × 0.001234.</summary>
    public static TheoryData<string, TokenClass, decimal> EveryTokenClassOfEveryFamily => new()
    {
        // Fable 5.1: 10 / 12.50 / 20 / 0.25 / 50
        { "claude-fable-5-1", Input, 0.01234m },              // 10 × 0.001234
        { "claude-fable-5-1", CacheWrite5m, 0.015425m },      // 12.50 × 0.001234
        { "claude-fable-5-1", CacheWrite1h, 0.02468m },       // 20 × 0.001234
        { "claude-fable-5-1", CacheRead, 0.0003085m },        // 0.25 × 0.001234
        { "claude-fable-5-1", Output, 0.0617m },              // 50 × 0.001234
        // Opus 5.5: 4 / 5 / 8 / 0.20 / 20
        { "claude-opus-5-5", Input, 0.004936m },              // 4 × 0.001234
        { "claude-opus-5-5", CacheWrite5m, 0.00617m },        // 5 × 0.001234
        { "claude-opus-5-5", CacheWrite1h, 0.009872m },       // 8 × 0.001234
        { "claude-opus-5-5", CacheRead, 0.0002468m },         // 0.20 × 0.001234
        { "claude-opus-5-5", Output, 0.02468m },              // 20 × 0.001234
        // Opus 5, 4.8, 4.7, 4.6: 5 / 6.25 / 10 / 0.50 / 25 (one id per class to cover every prefix)
        { "claude-opus-5", Input, 0.00617m },                 // 5 × 0.001234
        { "claude-opus-4-8", CacheWrite5m, 0.0077125m },      // 6.25 × 0.001234
        { "claude-opus-4-7", CacheWrite1h, 0.01234m },        // 10 × 0.001234
        { "claude-opus-4-6", CacheRead, 0.000617m },          // 0.50 × 0.001234
        { "claude-opus-5-20260301", Output, 0.03085m },       // 25 × 0.001234
        // Opus 4.5: same rates as 4.6
        { "claude-opus-4-5-20251101", Input, 0.00617m },      // 5 × 0.001234
        { "claude-opus-4-5", CacheWrite5m, 0.0077125m },      // 6.25 × 0.001234
        { "claude-opus-4-5", CacheWrite1h, 0.01234m },        // 10 × 0.001234
        { "claude-opus-4-5", CacheRead, 0.000617m },          // 0.50 × 0.001234
        { "claude-opus-4-5", Output, 0.03085m },              // 25 × 0.001234
        // Opus 4.1, 4: 15 / 18.75 / 30 / 1.50 / 75
        { "claude-opus-4-1-20250805", Input, 0.01851m },      // 15 × 0.001234
        { "claude-opus-4-20250514", CacheWrite5m, 0.0231375m }, // 18.75 × 0.001234
        { "claude-opus-4-0", CacheWrite1h, 0.03702m },        // 30 × 0.001234
        { "claude-opus-4-1", CacheRead, 0.001851m },          // 1.50 × 0.001234
        { "claude-opus-4", Output, 0.09255m },                // 75 × 0.001234
        // Sonnet 5.5 (after 2026-10-07): 2 / 2.50 / 4 / 0.10 / 10
        { "claude-sonnet-5-5", Input, 0.002468m },            // 2 × 0.001234
        { "claude-sonnet-5-5", CacheWrite5m, 0.003085m },     // 2.50 × 0.001234
        { "claude-sonnet-5-5", CacheWrite1h, 0.004936m },     // 4 × 0.001234
        { "claude-sonnet-5-5", CacheRead, 0.0001234m },       // 0.10 × 0.001234
        { "claude-sonnet-5-5", Output, 0.01234m },            // 10 × 0.001234
        // Sonnet 5: 2 / 2.50 / 4 / 0.20 / 10
        { "claude-sonnet-5", Input, 0.002468m },              // 2 × 0.001234
        { "claude-sonnet-5", CacheWrite5m, 0.003085m },       // 2.50 × 0.001234
        { "claude-sonnet-5", CacheWrite1h, 0.004936m },       // 4 × 0.001234
        { "claude-sonnet-5", CacheRead, 0.0002468m },         // 0.20 × 0.001234
        { "claude-sonnet-5", Output, 0.01234m },              // 10 × 0.001234
        // Sonnet 4.6: 3 / 3.75 / 6 / 0.30 / 15
        { "claude-sonnet-4-6", Input, 0.003702m },            // 3 × 0.001234
        { "claude-sonnet-4-6", CacheWrite5m, 0.0046275m },    // 3.75 × 0.001234
        { "claude-sonnet-4-6", CacheWrite1h, 0.007404m },     // 6 × 0.001234
        { "claude-sonnet-4-6", CacheRead, 0.0003702m },       // 0.30 × 0.001234
        { "claude-sonnet-4-6", Output, 0.01851m },            // 15 × 0.001234
        // Sonnet 4.5, 4, 3.7: same rates as 4.6
        { "claude-sonnet-4-5-20250929", Input, 0.003702m },   // 3 × 0.001234
        { "claude-sonnet-4-20250514", CacheWrite5m, 0.0046275m }, // 3.75 × 0.001234
        { "claude-sonnet-4-0", CacheWrite1h, 0.007404m },     // 6 × 0.001234
        { "claude-3-7-sonnet-20250219", CacheRead, 0.0003702m }, // 0.30 × 0.001234
        { "claude-3-7-sonnet-latest", Output, 0.01851m },     // 15 × 0.001234
        // Haiku 5.5, prompt ≤ 100K: 0.10 / 0.125 / 0.20 / 0.01 / 0.50
        { "claude-haiku-5-5", Input, 0.0001234m },            // 0.10 × 0.001234
        { "claude-haiku-5-5", CacheWrite5m, 0.00015425m },    // 0.125 × 0.001234
        { "claude-haiku-5-5", CacheWrite1h, 0.0002468m },     // 0.20 × 0.001234
        { "claude-haiku-5-5", CacheRead, 0.00001234m },       // 0.01 × 0.001234
        { "claude-haiku-5-5", Output, 0.000617m },            // 0.50 × 0.001234
        // Haiku 4.5: 1 / 1.25 / 2 / 0.10 / 5
        { "claude-haiku-4-5-20251001", Input, 0.001234m },    // 1 × 0.001234
        { "claude-haiku-4-5", CacheWrite5m, 0.0015425m },     // 1.25 × 0.001234
        { "claude-haiku-4-5", CacheWrite1h, 0.002468m },      // 2 × 0.001234
        { "claude-haiku-4-5", CacheRead, 0.0001234m },        // 0.10 × 0.001234
        { "claude-haiku-4-5", Output, 0.00617m },             // 5 × 0.001234
        // Haiku 3.5: 0.80 / 1 / 1.60 / 0.08 / 4
        { "claude-3-5-haiku-20241022", Input, 0.0009872m },   // 0.80 × 0.001234
        { "claude-3-5-haiku-latest", CacheWrite5m, 0.001234m }, // 1 × 0.001234
        { "claude-3-5-haiku", CacheWrite1h, 0.0019744m },     // 1.60 × 0.001234
        { "claude-3-5-haiku", CacheRead, 0.00009872m },       // 0.08 × 0.001234
        { "claude-3-5-haiku", Output, 0.004936m },            // 4 × 0.001234
    };

    [Theory]
    [MemberData(nameof(EveryTokenClassOfEveryFamily))]
    public void Calculate_OneTokenClass_BillsItAtTheFamilyRate(string model, TokenClass tokenClass, decimal expected)
    {
        RequestCost cost = calculator.Calculate(model, Usage(tokenClass, 1_234), Now);

        Assert.True(cost.PriceKnown);
        Assert.Equal(expected, Part(cost, tokenClass));
        Assert.Equal(expected, cost.Total);
    }

    [Fact]
    public void Calculate_ApiUsageWithPerTtlSplit_BillsEachPartAtItsRate()
    {
        byte[] json = """{"usage":{"input_tokens":222,"cache_creation_input_tokens":1500,"cache_read_input_tokens":3000,"cache_creation":{"ephemeral_5m_input_tokens":500,"ephemeral_1h_input_tokens":1000},"output_tokens":14,"service_tier":"standard"}}"""u8.ToArray();

        RequestCost cost = calculator.Calculate("claude-opus-4-1-20250805", MessageJson.ReadUsage(json), Now);

        Assert.Equal(0.00333m, cost.Input);         // 222 × 15 / 1M
        Assert.Equal(0.009375m, cost.CacheWrite5m); // 500 × 18.75 / 1M
        Assert.Equal(0.03m, cost.CacheWrite1h);     // 1,000 × 30 / 1M
        Assert.Equal(0.0045m, cost.CacheRead);      // 3,000 × 1.50 / 1M
        Assert.Equal(0.00105m, cost.Output);        // 14 × 75 / 1M
        Assert.Equal(0.048255m, cost.Total);        // 0.00333 + 0.009375 + 0.03 + 0.0045 + 0.00105
    }

    [Fact]
    public void Calculate_CacheWritesWithoutTtlBreakdown_BillsThemAtTheFiveMinuteRate()
    {
        var usage = new TokenUsage(0, 0, CacheCreationInputTokens: 1_000, 0, CacheCreation5m: 0, CacheCreation1h: 0, null);

        RequestCost cost = calculator.Calculate("claude-sonnet-4-5", usage, Now);

        Assert.Equal(0.00375m, cost.CacheWrite5m); // 1,000 × 3.75 / 1M
        Assert.Equal(0m, cost.CacheWrite1h);
        Assert.Equal(0.00375m, cost.Total);
    }

    [Theory]
    [InlineData(true, null)]     // the caller knows it was a batch
    [InlineData(false, "batch")] // usage.service_tier says so
    public void Calculate_Batch_HalvesEveryTokenClass(bool batch, string? serviceTier)
    {
        RequestCost cost = calculator.Calculate("claude-sonnet-4-5", AllClasses(1_000) with { ServiceTier = serviceTier }, Now, new CostContext(Batch: batch));

        Assert.Equal(0.0015m, cost.Input);          // 1,000 × 3 / 1M × 0.5
        Assert.Equal(0.001875m, cost.CacheWrite5m); // 1,000 × 3.75 / 1M × 0.5
        Assert.Equal(0.003m, cost.CacheWrite1h);    // 1,000 × 6 / 1M × 0.5
        Assert.Equal(0.00015m, cost.CacheRead);     // 1,000 × 0.30 / 1M × 0.5
        Assert.Equal(0.0075m, cost.Output);         // 1,000 × 15 / 1M × 0.5
        Assert.Equal(0.014025m, cost.Total);        // (3 + 3.75 + 6 + 0.30 + 15) × 0.001 × 0.5
    }

    [Theory]
    // Claude 4.6 and later, pinned to a region: × 1.1. (3 + 3.75 + 6 + 0.30 + 15) × 0.001 = 0.02805.
    [InlineData("claude-sonnet-4-6", "us", "0.030855")]        // 0.02805 × 1.1
    [InlineData("claude-sonnet-4-6", "eu", "0.030855")]        // 0.02805 × 1.1
    [InlineData("claude-sonnet-4-6", "global", "0.02805")]     // not pinned
    [InlineData("claude-sonnet-4-6", "not_available", "0.02805")] // what the API reports when none was asked for
    [InlineData("claude-sonnet-4-6", null, "0.02805")]
    [InlineData("claude-sonnet-4-5-20250929", "us", "0.02805")] // before 4.6: no multiplier
    [InlineData("claude-3-7-sonnet-20250219", "us", "0.02805")] // before 4.6: no multiplier
    public void Calculate_InferenceGeo_AppliesTheRegionalMultiplierFromClaude46On(string model, string? geo, string expected)
    {
        RequestCost cost = calculator.Calculate(model, AllClasses(1_000), Now, new CostContext(InferenceGeo: geo));

        Assert.Equal(D(expected), cost.Total);
    }

    [Theory]
    // 1,000 input + 1,000 output: (5 + 25) × 0.001 = 0.03.
    [InlineData("claude-opus-4-6", "0.033")] // 0.03 × 1.1
    [InlineData("claude-opus-5-5", "0.0264")] // (4 + 20) × 0.001 × 1.1
    [InlineData("claude-opus-4-5", "0.03")]  // Opus 4.5 is older than 4.6: no multiplier
    [InlineData("claude-haiku-4-5", "0.006")] // (1 + 5) × 0.001, no multiplier
    public void Calculate_InferenceGeoUs_OnlyOnFamiliesThatHaveTheMultiplier(string model, string expected)
    {
        RequestCost cost = calculator.Calculate(model, new TokenUsage(1_000, 1_000, 0, 0, 0, 0, null), Now, new CostContext(InferenceGeo: "us"));

        Assert.Equal(D(expected), cost.Total);
    }

    [Fact]
    public void Calculate_BatchAndRegional_MultiplyTogether()
    {
        RequestCost cost = calculator.Calculate("claude-sonnet-4-6", AllClasses(1_000), Now, new CostContext(Batch: true, InferenceGeo: "us"));

        Assert.Equal(0.0154275m, cost.Total); // 0.02805 × 0.5 × 1.1
    }

    [Fact]
    public void Calculate_Haiku55PromptOfExactly100K_StaysAtTheStandardRates()
    {
        RequestCost cost = calculator.Calculate("claude-haiku-5-5", new TokenUsage(100_000, 1_000, 0, 0, 0, 0, null), Now);

        Assert.Equal(0.01m, cost.Input);    // 100,000 × 0.10 / 1M
        Assert.Equal(0.0005m, cost.Output); // 1,000 × 0.50 / 1M
        Assert.Equal(0.0105m, cost.Total);
    }

    [Fact]
    public void Calculate_Haiku55PromptAbove100K_BillsEveryTokenAtTheLongPromptRates()
    {
        RequestCost cost = calculator.Calculate("claude-haiku-5-5", new TokenUsage(100_001, 1_000, 0, 0, 0, 0, null), Now);

        Assert.Equal(0.0500005m, cost.Input); // 100,001 × 0.50 / 1M
        Assert.Equal(0.0025m, cost.Output);   // 1,000 × 2.50 / 1M: output too
        Assert.Equal(0.0525005m, cost.Total);
    }

    [Fact]
    public void Calculate_Haiku55LongPromptThreshold_CountsCacheWritesAndReads()
    {
        // 50,000 uncached + 30,000 written + 20,001 read = 100,001 prompt tokens.
        var usage = new TokenUsage(50_000, 0, 30_000, 20_001, 30_000, 0, null);

        RequestCost cost = calculator.Calculate("claude-haiku-5-5", usage, Now);

        Assert.Equal(0.025m, cost.Input);          // 50,000 × 0.50 / 1M
        Assert.Equal(0.01875m, cost.CacheWrite5m); // 30,000 × 0.625 / 1M
        Assert.Equal(0.00100005m, cost.CacheRead); // 20,001 × 0.05 / 1M
        Assert.Equal(0.04475005m, cost.Total);
    }

    [Theory]
    [InlineData("2026-10-06T23:59:59+00:00", "0.20")] // the day before the cut
    [InlineData("2026-10-07T01:00:00+02:00", "0.20")] // 2026-10-06 23:00 UTC: still before
    [InlineData("2026-10-07T00:00:00+00:00", "0.10")] // the cut takes effect at 00:00 UTC
    [InlineData("2027-01-01T00:00:00+00:00", "0.10")]
    public void Calculate_Sonnet55CacheRead_UsesThePriceOfTheDay(string at, string expected)
    {
        var usage = new TokenUsage(0, 0, 0, CacheReadInputTokens: 1_000_000, 0, 0, null);

        RequestCost cost = calculator.Calculate("claude-sonnet-5-5", usage, DateTimeOffset.Parse(at, CultureInfo.InvariantCulture));

        Assert.Equal(D(expected), cost.CacheRead); // 1,000,000 × rate / 1M
    }

    [Fact]
    public void Calculate_Opus55FastMode_UsesTheFastRates()
    {
        var usage = new TokenUsage(1_000, 1_000, 0, 0, 0, 0, null);

        RequestCost fast = calculator.Calculate("claude-opus-5-5", usage, Now, new CostContext(Speed: "fast"));
        RequestCost standard = calculator.Calculate("claude-opus-5-5", usage, Now);

        Assert.Equal(0.008m, fast.Input);   // 1,000 × 8 / 1M
        Assert.Equal(0.04m, fast.Output);   // 1,000 × 40 / 1M
        Assert.Equal(0.048m, fast.Total);
        Assert.Equal(0.024m, standard.Total); // (4 + 20) × 0.001
    }

    [Fact]
    public void Calculate_FastModeOnAFamilyWithoutFastRates_UsesTheStandardRates()
    {
        RequestCost cost = calculator.Calculate("claude-opus-4-6", new TokenUsage(1_000, 1_000, 0, 0, 0, 0, null), Now, new CostContext(Speed: "fast"));

        Assert.Equal(0.03m, cost.Total); // (5 + 25) × 0.001
    }

    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("claude-sonnet-4-50")]   // not Sonnet 4.5: the prefix must end at a '-'
    [InlineData("claude-sonnet-4-9")]    // another minor version is not Sonnet 4
    [InlineData("claude-opus-4-9-20270101")]
    [InlineData("claude-mythos-5-1")]
    [InlineData("")]
    public void Calculate_UnknownModel_IsPriceUnknownNotFree(string model)
    {
        RequestCost cost = calculator.Calculate(model, AllClasses(1_000), Now);

        Assert.False(cost.PriceKnown);
        Assert.Equal(RequestCost.Unknown, cost);
    }

    private static decimal D(string value) => decimal.Parse(value, CultureInfo.InvariantCulture);

    private static TokenUsage AllClasses(long each) => new(each, each, 2 * each, each, each, each, null);

    private static TokenUsage Usage(TokenClass tokenClass, long tokens) => tokenClass switch
    {
        Input => new TokenUsage(tokens, 0, 0, 0, 0, 0, null),
        CacheWrite5m => new TokenUsage(0, 0, tokens, 0, tokens, 0, null),
        CacheWrite1h => new TokenUsage(0, 0, tokens, 0, 0, tokens, null),
        CacheRead => new TokenUsage(0, 0, 0, tokens, 0, 0, null),
        Output => new TokenUsage(0, tokens, 0, 0, 0, 0, null),
        _ => throw new ArgumentOutOfRangeException(nameof(tokenClass)),
    };

    private static decimal Part(RequestCost cost, TokenClass tokenClass) => tokenClass switch
    {
        Input => cost.Input,
        CacheWrite5m => cost.CacheWrite5m,
        CacheWrite1h => cost.CacheWrite1h,
        CacheRead => cost.CacheRead,
        Output => cost.Output,
        _ => throw new ArgumentOutOfRangeException(nameof(tokenClass)),
    };
}
