using System.Text;
using ClaudeCache.Anthropic;
using ClaudeCache.Costs;

namespace ClaudeCache.Tests.Costs;

public sealed class PriceTableTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void LoadDefault_ListsEveryFamilyOfThePriceSheet()
    {
        PriceTable table = PriceTable.LoadDefault();

        Assert.Equal(1, table.Version);
        Assert.Equal(new DateOnly(2026, 11, 1), table.Updated);
        Assert.Equal(0.5m, table.BatchMultiplier);
        Assert.Equal(
            ["Fable 5.1", "Opus 5.5", "Opus 5, 4.8, 4.7, 4.6", "Opus 4.5", "Opus 4.1, 4", "Sonnet 5.5", "Sonnet 5", "Sonnet 4.6",
             "Sonnet 4.5, 4, 3.7", "Haiku 5.5", "Haiku 4.5", "Haiku 3.5"],
            table.Families.Select(f => f.Name));
    }

    [Theory]
    [InlineData("claude-sonnet-4-5-20250929", "Sonnet 4.5, 4, 3.7")] // dated snapshot
    [InlineData("claude-sonnet-4-5", "Sonnet 4.5, 4, 3.7")]          // alias
    [InlineData("claude-sonnet-4-20250514", "Sonnet 4.5, 4, 3.7")]   // the shorter prefix, followed by a date
    [InlineData("claude-sonnet-4-0", "Sonnet 4.5, 4, 3.7")]
    [InlineData("claude-sonnet-4-6", "Sonnet 4.6")]                  // longer prefix wins over claude-sonnet-4
    [InlineData("claude-sonnet-5", "Sonnet 5")]
    [InlineData("claude-sonnet-5-20260115", "Sonnet 5")]
    [InlineData("claude-sonnet-5-5", "Sonnet 5.5")]                  // not Sonnet 5
    [InlineData("claude-sonnet-5-5-20260601", "Sonnet 5.5")]
    [InlineData("claude-opus-5", "Opus 5, 4.8, 4.7, 4.6")]
    [InlineData("claude-opus-5-5", "Opus 5.5")]                      // not Opus 5
    [InlineData("claude-opus-4-1-20250805", "Opus 4.1, 4")]
    [InlineData("claude-opus-4-20250514", "Opus 4.1, 4")]
    [InlineData("claude-opus-4-5-20251101", "Opus 4.5")]             // not Opus 4
    [InlineData("claude-opus-4-6", "Opus 5, 4.8, 4.7, 4.6")]
    [InlineData("claude-haiku-4-5-20251001", "Haiku 4.5")]
    [InlineData("claude-haiku-5-5", "Haiku 5.5")]
    [InlineData("claude-3-5-haiku-20241022", "Haiku 3.5")]
    [InlineData("claude-3-7-sonnet-latest", "Sonnet 4.5, 4, 3.7")]
    [InlineData("claude-fable-5-1", "Fable 5.1")]
    [InlineData("CLAUDE-HAIKU-4-5", "Haiku 4.5")]                    // ids are compared ignoring case
    [InlineData("claude-sonnet-4-5@20250929", "Sonnet 4.5, 4, 3.7")] // Vertex AI spelling of a snapshot
    public void TryFind_ModelId_FindsTheFamilyByLongestPrefix(string modelId, string family)
    {
        Assert.True(PriceTable.LoadDefault().TryFind(modelId, out ModelPrice? price));
        Assert.Equal(family, price.Name);
    }

    [Theory]
    [InlineData("claude-sonnet-4-50")]   // "claude-sonnet-4-5" is a prefix of the text, not of the id's segments
    [InlineData("claude-sonnet-4-55-20260101")]
    [InlineData("claude-sonnet-4-9")]    // a later minor version is not priced as Sonnet 4
    [InlineData("claude-opus-5-1")]      // nor as Opus 5
    [InlineData("claude-haiku")]
    [InlineData("claude")]
    [InlineData("gpt-4o")]
    [InlineData("")]
    public void TryFind_UnknownModel_ReturnsFalse(string modelId)
    {
        Assert.False(PriceTable.LoadDefault().TryFind(modelId, out ModelPrice? price));
        Assert.Null(price);
    }

    [Fact]
    public void LoadWithOverride_NullOrEmpty_IsTheDefaultTable()
    {
        Assert.Same(PriceTable.LoadDefault(), PriceTable.LoadWithOverride(null));
        Assert.Same(PriceTable.LoadDefault(), PriceTable.LoadWithOverride(" "));
    }

    [Fact]
    public void LoadWithOverride_UserFile_ReplacesAPriceByPrefixAndAddsAFamily()
    {
        const string Json = """
            {
              "version": 1,
              "updated": "2026-12-15",
              "families": [
                // Our negotiated Sonnet 4.5 rate; Sonnet 4 and 3.7 keep the list price.
                { "name": "Sonnet 4.5 (negotiated)", "prefixes": ["claude-sonnet-4-5"],
                  "rates": { "input": 2, "cacheWrite5m": 2.5, "cacheWrite1h": 4, "cacheRead": 0.2, "output": 12 } },
                { "name": "Mythos 5.1", "prefixes": ["claude-mythos-5-1"], "regionalMultiplier": 1.1,
                  "rates": { "input": 20, "cacheWrite5m": 25, "cacheWrite1h": 40, "cacheRead": 0.5, "output": 100 } },
              ]
            }
            """;

        PriceTable table = WithFile(Json, PriceTable.LoadWithOverride);
        var calculator = new CostCalculator(table);
        var usage = new TokenUsage(1_000, 1_000, 0, 0, 0, 0, null);

        Assert.Equal(0.014m, calculator.Calculate("claude-sonnet-4-5-20250929", usage, Now).Total); // (2 + 12) × 0.001
        Assert.Equal(0.018m, calculator.Calculate("claude-sonnet-4-20250514", usage, Now).Total);   // list price: (3 + 15) × 0.001
        Assert.Equal(0.132m, calculator.Calculate("claude-mythos-5-1", usage, Now, new CostContext(InferenceGeo: "us")).Total); // (20 + 100) × 0.001 × 1.1
        Assert.Equal(new DateOnly(2026, 12, 15), table.Updated);
        Assert.Equal(0.5m, table.BatchMultiplier); // not in the file: the default stays
        Assert.Equal(["claude-sonnet-4", "claude-sonnet-4-0", "claude-3-7-sonnet"], table.Families.Single(f => f.Name == "Sonnet 4.5, 4, 3.7").Prefixes);
    }

    [Fact]
    public void LoadWithOverride_FileReplacingEveryPrefixOfAFamily_DropsThatFamily()
    {
        const string Json = """
            {"version":1,"updated":"2026-12-01","batchMultiplier":0.6,"families":[
              {"name":"Haiku 3.5 (legacy)","prefixes":["claude-3-5-haiku"],"rates":{"input":1,"cacheWrite5m":1,"cacheWrite1h":1,"cacheRead":1,"output":1}}]}
            """;

        PriceTable table = WithFile(Json, PriceTable.LoadWithOverride);

        Assert.DoesNotContain(table.Families, f => f.Name == "Haiku 3.5");
        Assert.Equal(0.6m, table.BatchMultiplier);
        Assert.Equal(new DateOnly(2026, 12, 1), table.Updated);
    }

    public static TheoryData<string, string> MalformedFiles => new()
    {
        { """{"version":1,"updated":"2026-12-01","families":[}""", "is not valid JSON (line 1" },
        { """{"updated":"2026-12-01"}""", "$.version: expected the format version as an integer (1)" },
        { """{"version":2,"updated":"2026-12-01"}""", "$.version: format version 2 is not supported; this build reads version 1" },
        { """{"version":1,"updated":"1 Dec 2026"}""", "$.updated: expected a date as \"yyyy-MM-dd\", found \"1 Dec 2026\"" },
        { """{"version":1}""", "$.updated: missing" },
        { """{"version":1,"updated":"2026-12-01","batchMultiplier":2}""", "$.batchMultiplier: expected a multiplier greater than 0 and at most 1, found 2" },
        { """{"version":1,"updated":"2026-12-01","families":{}}""", "$.families: expected an array of families, found object" },
        { Family("\"rates\":{\"input\":1,\"cacheWrite5m\":1,\"cacheWrite1h\":1,\"cacheRead\":1,\"output\":-1}"),
          "$.families[0] (\"X\").rates.output: expected a non-negative number of USD per million tokens, found -1" },
        { Family("\"rates\":{\"input\":1,\"cacheWrite5m\":1,\"cacheWrite1h\":1,\"cacheRead\":1,\"output\":\"15\"}"),
          "$.families[0] (\"X\").rates.output: expected a non-negative number of USD per million tokens, found \"15\"" },
        { Family("\"rates\":{\"input\":1,\"cacheWrite5m\":1,\"cacheWrite1h\":1,\"output\":1}"), "$.families[0] (\"X\").rates.cacheRead: missing" },
        { Family("\"rates\":{\"input\":1,\"cacheWrite5m\":1,\"cacheWrite1h\":1,\"cacheRead\":1,\"ouput\":1}"), "$.families[0] (\"X\").rates.ouput: unknown property" },
        { Family(Rates + ",\"regionalMultipler\":1.1"), "$.families[0] (\"X\").regionalMultipler: unknown property" },
        { Family(Rates + ",\"longPrompt\":{\"aboveTokens\":0," + Rates + "}"), "$.families[0] (\"X\").longPrompt.aboveTokens: expected a positive whole number" },
        { Family(Rates + ",\"changes\":[{\"effectiveFrom\":\"2026-10-07\",\"rates\":{}}]"), "$.families[0] (\"X\").changes[0].rates: a change must give at least one rate" },
        { Family(Rates, prefixes: "[\"claude-x-\"]"), "$.families[0] (\"X\").prefixes[0]: \"claude-x-\" is not a model-id prefix" },
        { Family(Rates, prefixes: "[]"), "$.families[0] (\"X\").prefixes: expected a non-empty array" },
        { Family(Rates, prefixes: "[\"claude-x\",\"claude-x\"]"), "$.families: prefix \"claude-x\" is listed by both \"X\" and \"X\"" },
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void LoadWithOverride_MalformedFile_ThrowsNamingTheFileAndTheProblem(string json, string problem)
    {
        string? path = null;
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => WithFile(json, p => PriceTable.LoadWithOverride(path = p)));

        Assert.StartsWith($"Price file '{path}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadWithOverride_MissingFile_ThrowsNamingThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"claudecache-no-such-{Guid.NewGuid():N}.json");

        FileNotFoundException e = Assert.Throws<FileNotFoundException>(() => PriceTable.LoadWithOverride(path));

        Assert.Equal($"Price file '{path}' was not found.", e.Message);
    }

    [Fact]
    public void Load_CompleteTableWithoutBatchMultiplier_Throws()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(Family(Rates)));

        InvalidDataException e = Assert.Throws<InvalidDataException>(() => PriceTable.Load(stream));

        Assert.Equal("Price table: $.batchMultiplier: missing (the Batch API multiplier, 0.5 for 50% off).", e.Message);
    }

    [Fact]
    public void Load_ChangesOutOfOrder_Throws()
    {
        string json = Family(Rates + ",\"changes\":[{\"effectiveFrom\":\"2026-10-07\",\"rates\":{\"input\":1}},{\"effectiveFrom\":\"2026-01-01\",\"rates\":{\"input\":2}}]")
            .Replace("\"families\"", "\"batchMultiplier\":0.5,\"families\"", StringComparison.Ordinal);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));

        InvalidDataException e = Assert.Throws<InvalidDataException>(() => PriceTable.Load(stream));

        Assert.Contains("changes[1].effectiveFrom: changes must be listed oldest first", e.Message, StringComparison.Ordinal);
    }

    private const string Rates = "\"rates\":{\"input\":1,\"cacheWrite5m\":1,\"cacheWrite1h\":1,\"cacheRead\":1,\"output\":1}";

    private static string Family(string body, string prefixes = "[\"claude-x\"]") =>
        $$"""{"version":1,"updated":"2026-12-01","families":[{"name":"X","prefixes":{{prefixes}},{{body}}}]}""";

    private static T WithFile<T>(string json, Func<string, T> load)
    {
        string path = Path.Combine(Path.GetTempPath(), $"claudecache-prices-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try
        {
            return load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
