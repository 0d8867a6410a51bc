using ClaudeCache.Keys;

namespace ClaudeCache.Tests.Keys;

public sealed class CacheKeyBuilderTests
{
    private const string Base = """
        {"model":"claude-sonnet-4-5","max_tokens":1024,"system":"You are terse.",
         "messages":[{"role":"user","content":"Hello"}],"temperature":0.5}
        """;

    private const string Version = "2023-06-01";

    private static CacheKey Key(
        string body,
        string partition = "p1",
        string ns = "",
        string path = "/v1/messages",
        string? version = Version,
        string? beta = null) =>
        CacheKeyBuilder.Build(new CacheKeyInput(partition, ns, path, version, beta, Json.Parse(body)));

    // The base body with one more top-level field.
    private static string With(string field, string json) =>
        Base.TrimEnd().TrimEnd('}') + $",\"{field}\":{json}}}";

    public static TheoryData<string, string> BodyChanges => new()
    {
        { "model", Base.Replace("claude-sonnet-4-5", "claude-opus-4-1", StringComparison.Ordinal) },
        { "messages text", Base.Replace("Hello", "Hello!", StringComparison.Ordinal) },
        { "messages role", Base.Replace("\"user\"", "\"assistant\"", StringComparison.Ordinal) },
        { "messages count", Base.Replace("}]", "},{\"role\":\"assistant\",\"content\":\"Hi\"}]", StringComparison.Ordinal) },
        { "system", Base.Replace("terse", "verbose", StringComparison.Ordinal) },
        { "max_tokens", Base.Replace("1024", "1025", StringComparison.Ordinal) },
        { "temperature", Base.Replace("0.5", "0.7", StringComparison.Ordinal) },
        { "top_p", With("top_p", "0.9") },
        { "top_k", With("top_k", "40") },
        { "stop_sequences", With("stop_sequences", "[\"END\"]") },
        { "tools", With("tools", """[{"name":"get_weather","input_schema":{"type":"object"}}]""") },
        { "tool_choice", With("tool_choice", """{"type":"any"}""") },
        { "thinking", With("thinking", """{"type":"enabled","budget_tokens":2048}""") },
        { "output_config", With("output_config", """{"effort":"low"}""") },
        { "output_format", With("output_format", """{"type":"json_schema","schema":{}}""") },
        { "container", With("container", "\"container_1\"") },
        { "mcp_servers", With("mcp_servers", """[{"type":"url","url":"https://mcp.example","name":"x"}]""") },
        { "context_management", With("context_management", """{"edits":[]}""") },
        { "fallbacks", With("fallbacks", """[{"model":"claude-haiku-4-5"}]""") },
        { "unknown field", With("brand_new_field", "true") },
        { "string escape vs other text", Base.Replace("Hello", "Hell\\u006F!", StringComparison.Ordinal) },
    };

    [Theory]
    [MemberData(nameof(BodyChanges))]
    public void AnyOutputAffectingBodyField_ChangesTheKey(string field, string changed)
    {
        Assert.NotEqual(Key(Base), Key(changed));
        Assert.False(string.IsNullOrEmpty(field));
    }

    [Theory]
    [InlineData("anthropic-version")]
    [InlineData("anthropic-beta")]
    [InlineData("namespace")]
    [InlineData("partition")]
    [InlineData("path")]
    public void AnyOutputAffectingHeaderOrScope_ChangesTheKey(string what)
    {
        var changed = what switch
        {
            "anthropic-version" => Key(Base, version: "2024-01-01"),
            "anthropic-beta" => Key(Base, beta: "files-api-2025-04-14"),
            "namespace" => Key(Base, ns: "team-a"),
            "partition" => Key(Base, partition: "p2"),
            "path" => Key(Base, path: "/v1/messages/count_tokens"),
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };
        Assert.NotEqual(Key(Base), changed);
    }

    public static TheoryData<string, string> Equivalents => new()
    {
        {
            "reordered keys and whitespace",
            """
            {  "temperature" : 0.5, "messages" : [ { "content" : "Hello", "role" : "user" } ],
               "system":"You are terse.", "max_tokens": 1024, "model": "claude-sonnet-4-5" }
            """
        },
        { "content as a text block", Base.Replace("\"content\":\"Hello\"", "\"content\":" + """[{"type":"text","text":"Hello"}]""", StringComparison.Ordinal) },
        { "system as a text block", Base.Replace("\"You are terse.\"", """[{"text":"You are terse.","type":"text"}]""", StringComparison.Ordinal) },
        { "stream false", With("stream", "false") },
        { "stream true", With("stream", "true") },
        { "metadata.user_id", With("metadata", """{"user_id":"u-42"}""") },
        { "top-level cache_control", With("cache_control", """{"type":"ephemeral"}""") },
        { "service_tier", With("service_tier", "\"standard_only\"") },
        { "inference_geo", With("inference_geo", "\"us\"") },
        { "speed", With("speed", "\"fast\"") },
        { "diagnostics", With("diagnostics", """{"previous_message_id":"msg_1"}""") },
        {
            "cache_control on a content block",
            Base.Replace("\"content\":\"Hello\"", "\"content\":" + """[{"type":"text","text":"Hello","cache_control":{"type":"ephemeral","ttl":"1h"}}]""", StringComparison.Ordinal)
        },
        {
            "cache_control on a system block",
            Base.Replace("\"You are terse.\"", """[{"type":"text","text":"You are terse.","cache_control":{"type":"ephemeral"}}]""", StringComparison.Ordinal)
        },
        { "number written as 0.50", Base.Replace("0.5", "0.50", StringComparison.Ordinal) },
        { "number written as 5e-1", Base.Replace("0.5", "5e-1", StringComparison.Ordinal) },
        { "max_tokens written as 1024.0", Base.Replace("1024", "1024.0", StringComparison.Ordinal) },
        { "escaped string", Base.Replace("Hello", "Hell\\u006F", StringComparison.Ordinal) },
    };

    [Theory]
    [MemberData(nameof(Equivalents))]
    public void EquivalentRequests_ShareTheKey(string variation, string equivalent)
    {
        Assert.Equal(Key(Base), Key(equivalent));
        Assert.False(string.IsNullOrEmpty(variation));
    }

    /// <summary>Strings are keyed by value: every escape of a character meets the character, and nothing else.</summary>
    [Theory]
    [InlineData("\"caf\\u00e9\"", "\"café\"", true)]
    [InlineData("\"a\\/b\"", "\"a/b\"", true)]
    [InlineData("\"say \\\"hi\\\"\"", "\"say \\u0022hi\\u0022\"", true)]
    [InlineData("\"line\\nbreak\"", "\"line\\u000Abreak\"", true)]
    [InlineData("\"line\\nbreak\"", "\"line\\u000abreak\"", true)]
    [InlineData("\"tab\\there\"", "\"tab\\u0009here\"", true)]
    [InlineData("\"\\ud83d\\ude00\"", "\"😀\"", true)]
    [InlineData("\"line\\nbreak\"", "\"line\\\\nbreak\"", false)]
    [InlineData("\"a\\\"b\"", "\"a\\\\b\"", false)]
    [InlineData("\"caf\\u00e9\"", "\"cafe\\u0301\"", false)]
    [InlineData("\"x\\u0000\"", "\"x\"", false)]
    [InlineData("\"esc\\u001b\"", "\"esc\\u001B\"", true)]
    [InlineData("\"a\\/b\\n\"", "\"a/b\\u000a\"", true)]
    [InlineData("\"bell\\u0007\"", "\"bell\\u0008\"", false)]
    public void StringsAreKeyedByValue(string one, string other, bool same)
    {
        var first = Key(Base.Replace("\"Hello\"", one, StringComparison.Ordinal));
        var second = Key(Base.Replace("\"Hello\"", other, StringComparison.Ordinal));
        Assert.Equal(same, first.Equals(second));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("1.0")]
    [InlineData("1.00")]
    public void TemperatureOne_IsTheSameAsAbsent(string one)
    {
        var absent = Base.Replace(",\"temperature\":0.5", "", StringComparison.Ordinal);
        Assert.Equal(Key(absent), Key(Base.Replace("0.5", one, StringComparison.Ordinal)));
    }

    [Fact]
    public void CacheControl_OnToolsAndNestedToolResults_IsIgnored()
    {
        const string Plain = """
            {"model":"m","max_tokens":10,
             "tools":[{"name":"t","input_schema":{"type":"object"}}],
             "messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu1",
                "content":[{"type":"text","text":"42"}]}]}]}
            """;
        const string Marked = """
            {"model":"m","max_tokens":10,
             "tools":[{"name":"t","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],
             "messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu1","cache_control":{"type":"ephemeral"},
                "content":[{"type":"text","text":"42","cache_control":{"type":"ephemeral"}}]}]}]}
            """;
        Assert.Equal(Key(Plain), Key(Marked));
    }

    [Fact]
    public void CacheControl_InsideAToolSchema_IsPartOfTheKey()
    {
        // A tool may have a parameter called cache_control: that is the tool's contract, not a breakpoint.
        const string Without = """{"model":"m","max_tokens":10,"messages":[],"tools":[{"name":"t","input_schema":{"type":"object","properties":{}}}]}""";
        const string With = """{"model":"m","max_tokens":10,"messages":[],"tools":[{"name":"t","input_schema":{"type":"object","properties":{"cache_control":{"type":"string"}}}}]}""";
        Assert.NotEqual(Key(Without), Key(With));
    }

    [Theory]
    [InlineData("b,a")]
    [InlineData("a, b")]
    [InlineData(" a ,b,a,, b ")]
    public void BetaOrderDuplicatesAndSpaces_DoNotMatter(string beta) =>
        Assert.Equal(Key(Base, beta: "a,b"), Key(Base, beta: beta));

    [Fact]
    public void NoBeta_IsTheSameAsAnEmptyBetaHeader() =>
        Assert.Equal(Key(Base, beta: null), Key(Base, beta: " "));

    [Fact]
    public void QueryString_OnThePath_IsIgnored() =>
        Assert.Equal(Key(Base), Key(Base, path: "/v1/messages?beta=true"));

    [Fact]
    public void NumbersBeyondDecimalPrecision_AreNotMerged()
    {
        // Rounding these into one value would be a false hit; keeping their text costs only a miss.
        Assert.NotEqual(Key(Base.Replace("0.5", "1e-30", StringComparison.Ordinal)), Key(Base.Replace("0.5", "0", StringComparison.Ordinal)));
        Assert.NotEqual(
            Key(Base.Replace("1024", "12345678901234567890123456789012", StringComparison.Ordinal)),
            Key(Base.Replace("1024", "12345678901234567890123456789013", StringComparison.Ordinal)));
    }

    [Fact]
    public void SameInput_GivesTheSameKey_AcrossThreads()
    {
        var expected = Key(Base);
        var keys = new CacheKey[64];
        Parallel.For(0, keys.Length, i => keys[i] = Key(Base));
        Assert.All(keys, k => Assert.Equal(expected, k));
    }

    /// <summary>
    /// Pins the canonical form. If this fails, the canonical form changed: every stored entry would silently stop
    /// matching (or, worse, match something else). Make the change deliberately, bump
    /// <see cref="CacheKeyBuilder.Version"/>, and only then update the expected value.
    /// </summary>
    [Fact]
    public void KnownAnswer_IsPinned()
    {
        const string Body = """
            {"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"metadata":{"user_id":"u"},
             "system":[{"type":"text","text":"Be \"brief\"\u000A\u001B\u00e9","cache_control":{"type":"ephemeral"}}],
             "messages":[{"role":"user","content":"What is 2+2?"}],
             "temperature":1.0,"top_k":5}
            """;
        var input = new CacheKeyInput("anonymous", "docs", "/v1/messages", "2023-06-01", "b2, a1", Json.Parse(Body));

        // Version 2: strings by value in JSON.stringify's escaping (short escapes, \u00xx for other controls, UTF-8 for the rest).
        Assert.Equal(2, CacheKeyBuilder.Version);
        Assert.Equal(
            """["v2","anonymous","docs","/v1/messages","2023-06-01",["a1","b2"],{"max_tokens":1024,"messages":[{"content":[{"text":"What is 2+2?","type":"text"}],"role":"user"}],"model":"claude-sonnet-4-5","system":[{"text":"Be \"brief\"\n\u001bé","type":"text"}],"top_k":5}]""",
            CacheKeyBuilder.GetCanonicalForm(input));
        Assert.Equal("fae0d866de55efa23615bbfcd006b297135ac393afc060258afcfde558d3f731", CacheKeyBuilder.Build(input).ToHex());
    }
    /// <summary>
    /// The key hashes its canonical form a 16 KiB chunk at a time as it is written: across chunk boundaries, with one
    /// string larger than a chunk, and built again on the same thread, it is the SHA-256 of the whole form.
    /// </summary>
    [Theory]
    [InlineData(10, 100)]
    [InlineData(400, 100)]
    [InlineData(3, 40_000)]
    [InlineData(2, 3_000_000)]
    public void Key_IsTheSha256OfTheWholeCanonicalForm_AtEverySize(int messages, int textLength)
    {
        // Each text has escapes (copied as they came) around a long plain run.
        var turns = string.Join(",", Enumerable.Range(0, messages).Select(i =>
            "{\"role\":\"" + (i % 2 == 0 ? "user" : "assistant") + "\",\"content\":\"" + i + " " + new string((char)('a' + (i % 26)), textLength) + " \\\"q\\\"\\n\"}"));
        var input = new CacheKeyInput("p1", "", "/v1/messages", Version, null, Json.Parse($$"""{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{{turns}}]}"""));

        var whole = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(CacheKeyBuilder.GetCanonicalForm(input)));

        Assert.Equal(Convert.ToHexStringLower(whole), CacheKeyBuilder.Build(input).ToHex());
        Assert.Equal(Convert.ToHexStringLower(whole), CacheKeyBuilder.Build(input).ToHex());
        Assert.Equal(Key(Base), Key(Base));
    }

    [Theory]
    [InlineData(4_090)]
    [InlineData(4_094)]
    [InlineData(4_095)]
    [InlineData(4_096)]
    [InlineData(16_380)]
    [InlineData(16_384)]
    [InlineData(40_001)]
    [InlineData(3_000_000)]
    public void LongStrings_HashedWhereTheyAre_KeyAsTheWholeCanonicalForm_AroundAndFarAboveTheChunk(int textLength)
    {
        // A long string as the first member value, in an array between others, and last before a closing bracket:
        // the separators around it must be the writer's. One copied as it came, one escaped otherwise (\u00e9, \/).
        var plain = new string('p', textLength);
        var escaped = string.Concat(Enumerable.Repeat("\\u00e9\\/", (textLength / 12) + 1));
        var body = $$$"""{"model":"claude-sonnet-4-5","max_tokens":16,"system":"{{{plain}}}","stop_sequences":["a","{{{escaped}}}","{{{plain}}}"],"messages":[{"role":"user","content":[{"type":"text","text":"{{{escaped}}}"},{"type":"text","text":"{{{plain}}}"}]}],"metadata":{"user_id":"{{{plain}}}"}}""";
        var input = new CacheKeyInput("p1", "", "/v1/messages", Version, null, Json.Parse(body));

        var whole = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(CacheKeyBuilder.GetCanonicalForm(input)));

        Assert.Equal(Convert.ToHexStringLower(whole), CacheKeyBuilder.Build(input).ToHex());
        // The escaped text keys as its canonical spelling (é as UTF-8, / as it is), whichever path wrote it.
        var literal = body.Replace("\\u00e9\\/", "\u00e9/", StringComparison.Ordinal);
        Assert.Equal(CacheKeyBuilder.Build(input), CacheKeyBuilder.Build(input with { Body = Json.Parse(literal) }));
        Assert.NotEqual(CacheKeyBuilder.Build(input), CacheKeyBuilder.Build(input with { Body = Json.Parse(body.Replace("p\"", "q\"", StringComparison.Ordinal)) }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LongString_IsHashedWithoutABufferOfItsSize(bool escaped)
    {
        // 3 MB of text, sent in the canonical escaping or not: keying it allocates far less than the text.
        var text = escaped ? string.Concat(Enumerable.Repeat("x\\u00e9", 3_000_000 / 7)) : new string('x', 3_000_000);
        var input = new CacheKeyInput("p1", "", "/v1/messages", Version, null, Json.Parse($$"""{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"{{text}}"}]}"""));
        var first = CacheKeyBuilder.Build(input); // the thread's writer, hasher and pooled buffers exist from here on

        var before = GC.GetAllocatedBytesForCurrentThread();
        var again = CacheKeyBuilder.Build(input);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(first, again);
        Assert.True(allocated < 256 * 1024, $"Keying a 3 MB string allocated {allocated} bytes.");
    }
}
