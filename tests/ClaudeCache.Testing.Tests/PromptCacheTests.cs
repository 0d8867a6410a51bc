using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using static ClaudeCache.Testing.Tests.CacheRequest;

namespace ClaudeCache.Testing.Tests;

/// <summary>The simulated Anthropic prompt cache of the fake upstream, one rule per test.</summary>
public sealed class PromptCacheTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Sonnet's minimum is 1,024 tokens: a 2,000-token system prompt is cacheable, a 300-token one is not.
    private static readonly string LongSystem = Text(2000, "Acme realty");

    private static JsonArray Ask(string question, JsonObject? marker = null) => [Message("user", Block(question, marker))];

    private static async Task<FakeAnthropicUpstream> StartAsync(FakeTimeProvider? clock = null)
    {
        var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        fake.PromptCache.Clock = clock ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        return fake;
    }

    [Fact]
    public async Task NoCacheControl_UsageIsTheDefaultOne_NothingCached()
    {
        await using var fake = await StartAsync();
        var body = Body(Ask("What is a cap rate?"), system: [Block(LongSystem)]);
        byte[] bytes = Encoding.UTF8.GetBytes(body.ToJsonString());

        var (_, first) = await SendAsync(fake, body);
        var (_, second) = await SendAsync(fake, body);

        Assert.Equal((bytes.Length / 4, 0, 0, 0), Usage(first));
        Assert.Equal((bytes.Length / 4, 0, 0, 0), Usage(second));
        Assert.Equal(0, fake.PromptCache.EntryCount);
    }

    [Fact]
    public async Task SystemBreakpoint_FirstRequestWrites_SameSystemReadsIt()
    {
        await using var fake = await StartAsync();
        var first = Body(Ask("Question one?"), system: [Block(LongSystem, FiveMinutes)]);
        var second = Body(Ask("A different question two?"), system: [Block(LongSystem, FiveMinutes)]);
        int systemTokens = Tokens(Block(LongSystem));

        var (_, a) = await SendAsync(fake, first);
        var (_, b) = await SendAsync(fake, second);

        Assert.Equal((Total(first) - systemTokens, systemTokens, 0, 0), Usage(a));
        Assert.Equal((Total(second) - systemTokens, 0, 0, systemTokens), Usage(b));
    }

    [Fact]
    public async Task ToolDefinitionBreakpoint_CachesTheTools()
    {
        await using var fake = await StartAsync();
        JsonArray Tools() => [Tool("search"), Tool("valuate"), Tool("schedule"), Tool("lookup", FiveMinutes)];
        var body = Body(Ask("Find homes."), tools: Tools());

        var (_, a) = await SendAsync(fake, body);
        var (_, b) = await SendAsync(fake, Body(Ask("Find condos."), tools: Tools()));

        int toolTokens = Tokens(Tool("search"), Tool("valuate"), Tool("schedule"), Tool("lookup"));
        Assert.True(toolTokens >= 1024, $"{toolTokens} tokens");
        Assert.Equal(toolTokens, Usage(a).Write5m);
        Assert.Equal(toolTokens, Usage(b).Read);
    }

    [Fact]
    public async Task MessageBlockBreakpoint_TheNextTurnReadsTheConversation()
    {
        await using var fake = await StartAsync();
        var document = Block(Text(1500, "Lease"), FiveMinutes);
        var turn1 = Body([Message("user", document)]);
        var turn2 = Body([
            Message("user", Block(Text(1500, "Lease"))),
            Message("assistant", Block("It is a lease.")),
            Message("user", Block("Summarise it.", FiveMinutes))]);

        var (_, a) = await SendAsync(fake, turn1);
        var (_, b) = await SendAsync(fake, turn2);

        int documentTokens = Tokens(Block(Text(1500, "Lease")));
        Assert.Equal(documentTokens, Usage(a).Write5m);
        Assert.Equal(documentTokens, Usage(b).Read);
        Assert.Equal(Tokens(Block(Text(1500, "Lease")), Block("It is a lease."), Block("Summarise it.")) - documentTokens, Usage(b).Write5m);
    }

    [Fact]
    public async Task TopLevelCacheControl_MarksTheLastBlock_FollowUpTurnReadsIt()
    {
        await using var fake = await StartAsync();
        var turn1 = Body([Message("user", Block(Text(1500, "Deed")))]);
        turn1["cache_control"] = FiveMinutes.DeepClone();
        var turn2 = Body([
            Message("user", Block(Text(1500, "Deed"))),
            Message("assistant", Block("Noted.")),
            Message("user", Block("And the easements?"))]);
        turn2["cache_control"] = FiveMinutes.DeepClone();

        var (_, a) = await SendAsync(fake, turn1);
        var (_, b) = await SendAsync(fake, turn2);

        int turn1Tokens = Tokens(Block(Text(1500, "Deed")));
        Assert.Equal(turn1Tokens, Usage(a).Write5m);
        Assert.Equal(turn1Tokens, Usage(b).Read);
        Assert.Equal(Tokens(Block(Text(1500, "Deed")), Block("Noted."), Block("And the easements?")) - turn1Tokens, Usage(b).Write5m);
    }

    [Fact]
    public async Task FiveBreakpoints_Is400()
    {
        await using var fake = await StartAsync();
        var body = Body([Message("user", Block("a", FiveMinutes), Block("b", FiveMinutes), Block("c", FiveMinutes), Block("d", FiveMinutes), Block("e", FiveMinutes))]);

        var (status, json) = await SendAsync(fake, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request_error", json.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("maximum of 4 blocks with cache_control", ErrorMessage(json), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TopLevelMarker_UsesASlot_FourExplicitPlusTopLevelIs400()
    {
        await using var fake = await StartAsync();
        var four = Body([Message("user", Block("a", FiveMinutes), Block("b", FiveMinutes), Block("c", FiveMinutes), Block("d", FiveMinutes), Block("e"))]);
        var five = (JsonObject)four.DeepClone();
        five["cache_control"] = FiveMinutes.DeepClone();

        var (fourStatus, _) = await SendAsync(fake, four);
        var (fiveStatus, _) = await SendAsync(fake, five);

        Assert.Equal(HttpStatusCode.OK, fourStatus);
        Assert.Equal(HttpStatusCode.BadRequest, fiveStatus);
    }

    [Fact]
    public async Task OneHourAfterFiveMinutes_Is400()
    {
        await using var fake = await StartAsync();
        var body = Body(Ask("Question?", OneHour), system: [Block(LongSystem, FiveMinutes)]);

        var (status, json) = await SendAsync(fake, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("ttl='1h'", ErrorMessage(json), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneHourBeforeFiveMinutes_SplitsTheWriteByTheBreakpointEndingEachSegment()
    {
        await using var fake = await StartAsync();
        string question = Text(1200, "Question");
        var body = Body(Ask(question, FiveMinutes), system: [Block(LongSystem, OneHour)]);

        var (status, json) = await SendAsync(fake, body);

        Assert.Equal(HttpStatusCode.OK, status);
        int systemTokens = Tokens(Block(LongSystem));
        Assert.Equal(systemTokens, Usage(json).Write1h);
        Assert.Equal(Tokens(Block(LongSystem), Block(question)) - systemTokens, Usage(json).Write5m);
    }

    [Fact]
    public async Task ChangedByteInTheSystem_InvalidatesFromThere_ToolsStillRead()
    {
        await using var fake = await StartAsync();
        JsonArray Tools() => [Tool("search"), Tool("valuate"), Tool("schedule"), Tool("lookup", FiveMinutes)];
        var first = Body(Ask("Hi."), system: [Block(LongSystem, FiveMinutes)], tools: Tools());
        var changed = Body(Ask("Hi."), system: [Block("X" + LongSystem[1..], FiveMinutes)], tools: Tools());

        await SendAsync(fake, first);
        var (_, b) = await SendAsync(fake, changed);

        int toolTokens = Tokens(Tool("search"), Tool("valuate"), Tool("schedule"), Tool("lookup"));
        Assert.Equal(toolTokens, Usage(b).Read);
        Assert.Equal(Tokens(Tool("search"), Tool("valuate"), Tool("schedule"), Tool("lookup"), Block(LongSystem)) - toolTokens, Usage(b).Write5m);
    }

    [Theory]
    [InlineData(19, true)]
    [InlineData(20, true)]
    [InlineData(21, false)]
    public async Task Lookback_FindsAnEntryUpTo20BlocksBeforeTheBreakpoint(int laterBlocks, bool read)
    {
        await using var fake = await StartAsync();
        var first = Body([Message("user", Block(LongSystem, FiveMinutes))]);
        var blocks = new List<JsonObject> { Block(LongSystem) };
        blocks.AddRange(Enumerable.Range(0, laterBlocks - 1).Select(i => Block($"note {i}")));
        blocks.Add(Block("last note", FiveMinutes));
        var later = Body([Message("user", [.. blocks])]);

        await SendAsync(fake, first);
        var (_, b) = await SendAsync(fake, later);

        Assert.Equal(read ? Tokens(Block(LongSystem)) : 0, Usage(b).Read);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public async Task Lookback_ToolRunsCountAsOneBlock_OnlyWhenConfigured(bool toolRunsAsOne, int reads)
    {
        await using var fake = await StartAsync();
        fake.PromptCache.CountToolRunsAsOneBlock = toolRunsAsOne;
        var first = Body([Message("user", Block(LongSystem, FiveMinutes))]);

        // 12 parallel tool calls and their 12 results: 24 blocks, or one run.
        var uses = Enumerable.Range(0, 12).Select(i => new JsonObject
        {
            ["type"] = "tool_use", ["id"] = $"toolu_{i:D2}", ["name"] = "lookup", ["input"] = new JsonObject { ["n"] = i },
        }).ToArray();
        var results = Enumerable.Range(0, 12).Select(i => new JsonObject
        {
            ["type"] = "tool_result", ["tool_use_id"] = $"toolu_{i:D2}", ["content"] = $"result {i}",
        }).ToArray();
        var later = Body([
            Message("user", Block(LongSystem)),
            Message("assistant", uses),
            Message("user", [.. results, Block("Go on.", FiveMinutes)])]);

        await SendAsync(fake, first);
        var (_, b) = await SendAsync(fake, later);

        Assert.Equal(reads * Tokens(Block(LongSystem)), Usage(b).Read);
    }

    [Fact]
    public async Task MarkerIsNotPartOfThePrefix_MovingItStillReads()
    {
        await using var fake = await StartAsync();
        var automatic = Body(Ask("Question?"), system: [Block(LongSystem)]);
        automatic["cache_control"] = FiveMinutes.DeepClone();
        var explicitMarker = Body(Ask("Question?", FiveMinutes), system: [Block(LongSystem)]);

        await SendAsync(fake, automatic);
        var (_, b) = await SendAsync(fake, explicitMarker);

        Assert.Equal(Tokens(Block(LongSystem), Block("Question?")), Usage(b).Read);
        Assert.Equal(0, Usage(b).Write5m);
    }

    [Fact]
    public async Task StringSystem_IsTheSamePrefixAsOneTextBlock()
    {
        await using var fake = await StartAsync();
        var asBlock = Body(Ask("Question?"), system: [Block(LongSystem, FiveMinutes)]);
        var asString = Body(Ask("Question?", FiveMinutes));
        asString["system"] = LongSystem;

        await SendAsync(fake, asBlock);
        var (_, b) = await SendAsync(fake, asString);

        Assert.True(Usage(b).Read > 0);
    }

    [Theory]
    [InlineData("sk-ant-other", false, "claude-sonnet-4-5")]
    [InlineData("sk-ant-test", false, "claude-sonnet-4-0")]
    [InlineData("sk-ant-test", true, "claude-sonnet-4-5-20250929")]
    public async Task CacheIsPerApiKeyAndModel(string apiKey, bool bearer, string model)
    {
        await using var fake = await StartAsync();
        await SendAsync(fake, Body(Ask("Question?"), system: [Block(LongSystem, FiveMinutes)]));

        var (_, b) = await SendAsync(fake, Body(Ask("Question?"), system: [Block(LongSystem, FiveMinutes)], model: model), apiKey, bearer);

        // The same key as a bearer token, and the dated id of the same model, share the cache; anything else misses.
        bool shared = apiKey == "sk-ant-test" && model.StartsWith("claude-sonnet-4-5", StringComparison.Ordinal);
        Assert.Equal(shared ? Tokens(Block(LongSystem)) : 0, Usage(b).Read);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5", 1000, 0)]
    [InlineData("claude-sonnet-4-5", 1100, 1)]
    [InlineData("claude-haiku-4-5", 3000, 0)]
    [InlineData("claude-opus-4-7", 2100, 1)]
    public async Task BelowTheModelsMinimum_NothingIsCached_NoError(string model, int tokens, int cached)
    {
        await using var fake = await StartAsync();
        string text = Text(tokens, "Short");
        var body = Body(Ask("Question?"), system: [Block(text, FiveMinutes)], model: model);

        var (status, a) = await SendAsync(fake, body);
        var (_, b) = await SendAsync(fake, body);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(cached * Tokens(Block(text)), Usage(a).Write5m);
        Assert.Equal(cached * Tokens(Block(text)), Usage(b).Read);
        Assert.Equal(Total(body) - Usage(b).Read, Usage(b).Input);
    }

    [Theory]
    [InlineData("claude-opus-5", 512)]
    [InlineData("claude-opus-5-5-20270101", 512)]
    [InlineData("claude-fable-1", 512)]
    [InlineData("claude-mythos", 512)]
    [InlineData("claude-sonnet-4-20250514", 1024)]
    [InlineData("claude-sonnet-4-5", 1024)]
    [InlineData("claude-sonnet-5", 1024)]
    [InlineData("claude-opus-4-20250514", 1024)]
    [InlineData("claude-opus-4-1", 1024)]
    [InlineData("claude-opus-4-8", 1024)]
    [InlineData("claude-opus-4-7", 2048)]
    [InlineData("claude-3-5-haiku-20241022", 2048)]
    [InlineData("claude-opus-4-5-20251101", 4096)]
    [InlineData("claude-opus-4-6", 4096)]
    [InlineData("claude-haiku-4-5", 4096)]
    [InlineData("claude-opus-4-50", 1024)]
    [InlineData("some-other-model", 1024)]
    public void MinimumPrefix_PerModelTable(string model, int minimum) =>
        Assert.Equal(minimum, PromptCacheMinimums.For(model));

    [Fact]
    public async Task ParallelRequestsOnAColdPrefix_EachPayTheWrite()
    {
        await using var fake = await StartAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int waiting = 0;
        fake.BeforeRespond = async (_, ct) =>
        {
            if (Interlocked.Increment(ref waiting) == 4)
            {
                allArrived.SetResult();
            }

            await gate.Task.WaitAsync(ct);
        };
        var body = Body(Ask("Question?"), system: [Block(LongSystem, FiveMinutes)]);

        var calls = Enumerable.Range(0, 4).Select(_ => SendAsync(fake, body)).ToList();
        await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        gate.SetResult();
        var results = await Task.WhenAll(calls);
        fake.BeforeRespond = null;
        var (_, after) = await SendAsync(fake, body);

        Assert.All(results, r => Assert.Equal(Tokens(Block(LongSystem)), Usage(r.Json).Write5m));
        Assert.Equal(Tokens(Block(LongSystem)), Usage(after).Read);
    }

    [Fact]
    public async Task ErrorReply_WritesNothing()
    {
        await using var fake = await StartAsync();
        var body = Body(Ask("Question?"), system: [Block(LongSystem, FiveMinutes)]);
        fake.Responder = _ => FakeReply.Overloaded();

        await SendAsync(fake, body);

        Assert.Equal(0, fake.PromptCache.EntryCount);
    }

    [Fact]
    public async Task MaxTokensZero_WritesTheCacheWithoutGenerating()
    {
        await using var fake = await StartAsync();
        var warm = Body(Ask("Question?"), system: [Block(LongSystem, FiveMinutes)]);
        warm["max_tokens"] = 0;

        var (status, a) = await SendAsync(fake, warm);
        var (_, b) = await SendAsync(fake, Body(Ask("Question?"), system: [Block(LongSystem, FiveMinutes)]));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, a.GetProperty("content").GetArrayLength());
        Assert.Equal("max_tokens", a.GetProperty("stop_reason").GetString());
        Assert.Equal(0, a.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal(Tokens(Block(LongSystem)), Usage(a).Write5m);
        Assert.Equal(Tokens(Block(LongSystem)), Usage(b).Read);
    }

    [Theory]
    [InlineData("stream", """true""")]
    [InlineData("thinking", """{"type":"enabled","budget_tokens":1024}""")]
    [InlineData("tool_choice", """{"type":"any"}""")]
    [InlineData("tool_choice", """{"type":"tool","name":"search"}""")]
    public async Task MaxTokensZero_WithStreamThinkingOrForcedTool_Is400(string field, string value)
    {
        await using var fake = await StartAsync();
        var body = Body(Ask("Question?"), system: [Block(LongSystem, FiveMinutes)]);
        body["max_tokens"] = 0;
        body[field] = JsonNode.Parse(value);

        var (status, json) = await SendAsync(fake, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("max_tokens: 0", ErrorMessage(json), StringComparison.Ordinal);
        Assert.Equal(0, fake.PromptCache.EntryCount);
    }

    [Fact]
    public async Task Reads_RenewTheTtl_UnreadEntriesExpireAfterFiveMinutes()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        await using var fake = await StartAsync(clock);
        var body = Body(Ask("Question?"), system: [Block(LongSystem, FiveMinutes)]);
        int systemTokens = Tokens(Block(LongSystem));

        await SendAsync(fake, body);
        clock.Advance(TimeSpan.FromMinutes(4));
        var (_, renewed) = await SendAsync(fake, body);
        clock.Advance(TimeSpan.FromMinutes(4));
        var (_, stillThere) = await SendAsync(fake, body);
        clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var (_, expired) = await SendAsync(fake, body);

        Assert.Equal(systemTokens, Usage(renewed).Read);
        Assert.Equal(systemTokens, Usage(stillThere).Read);
        Assert.Equal((0, systemTokens), (Usage(expired).Read, Usage(expired).Write5m));
    }

    [Fact]
    public async Task OneHourEntry_OutlivesFiveMinutes_ExpiresAfterAnHour()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        await using var fake = await StartAsync(clock);
        var body = Body(Ask("Question?"), system: [Block(LongSystem, OneHour)]);

        var (_, a) = await SendAsync(fake, body);
        clock.Advance(TimeSpan.FromMinutes(59));
        var (_, b) = await SendAsync(fake, body);
        clock.Advance(TimeSpan.FromMinutes(61));
        var (_, c) = await SendAsync(fake, body);

        Assert.Equal(Tokens(Block(LongSystem)), Usage(a).Write1h);
        Assert.Equal(Tokens(Block(LongSystem)), Usage(b).Read);
        Assert.Equal((0, Tokens(Block(LongSystem))), (Usage(c).Read, Usage(c).Write1h));
    }

    [Fact]
    public async Task Streaming_MessageStartUsage_CarriesTheCacheFigures()
    {
        await using var fake = await StartAsync();
        var body = Body(Ask("Question?"), system: [Block(LongSystem, FiveMinutes)]);
        body["stream"] = true;

        var (_, a) = await SendAsync(fake, body);
        var (_, b) = await SendAsync(fake, body);

        Assert.Equal(Tokens(Block(LongSystem)), Usage(a).Write5m);
        Assert.Equal(Tokens(Block(LongSystem)), Usage(b).Read);
    }

    [Fact]
    public async Task Disabled_ReportsNoCacheFigures()
    {
        await using var fake = await StartAsync();
        fake.PromptCache.Enabled = false;
        var body = Body(Ask("Question?"), system: [Block(LongSystem, FiveMinutes)]);

        await SendAsync(fake, body);
        var (_, b) = await SendAsync(fake, body);

        Assert.Equal((0, 0, 0), (Usage(b).Write5m, Usage(b).Write1h, Usage(b).Read));
    }

    [Fact]
    public void PromptTokens_LeaveOutEveryMarker()
    {
        var plain = Body(Ask("Question?"), system: [Block(LongSystem)]);
        var marked = Body(Ask("Question?", OneHour), system: [Block(LongSystem, FiveMinutes)]);
        marked["cache_control"] = FiveMinutes.DeepClone();

        Assert.Equal(Encoding.UTF8.GetByteCount(plain.ToJsonString()) / 4, Total(plain));
        Assert.Equal(Total(plain), Total(marked));
        Assert.Equal(Tokens(Block(LongSystem)), PromptTokens.ForText(JsonSerializer.Serialize(Block(LongSystem))));
    }

    [Fact]
    public async Task UsageTotals_SumWhatTheFakeReported_AndPriceTheInput()
    {
        await using var fake = await StartAsync();
        var body = Body(Ask("Question?"), system: [Block(LongSystem, FiveMinutes)]);

        var (_, a) = await SendAsync(fake, body);
        var (_, b) = await SendAsync(fake, body);

        var totals = fake.UsageTotals;
        Assert.Equal(2, totals.Replies);
        Assert.Equal(Usage(a).Input + Usage(b).Input, totals.InputTokens);
        Assert.Equal((long)Usage(a).Write5m, totals.CacheCreation5m);
        Assert.Equal((long)Usage(b).Read, totals.CacheRead);
        Assert.Equal(totals.InputTokens + (1.25 * totals.CacheCreation5m) + (0.1 * totals.CacheRead), totals.InputCost, 6);
        fake.ResetCounters();
        Assert.Equal(0, fake.UsageTotals.Replies);
    }

    [Fact]
    public async Task ScriptedUsageWithCacheFigures_IsKept()
    {
        await using var fake = await StartAsync();
        fake.Responder = _ => FakeReply.TextReply("Scripted.", usage: new FakeUsage(40, 9, CacheRead: 30));
        var body = Body(Ask("Question?"), system: [Block(LongSystem, FiveMinutes)]);

        var (_, a) = await SendAsync(fake, body);

        Assert.Equal((40, 0, 0, 30), Usage(a));
        Assert.Equal(1, fake.PromptCache.EntryCount);
    }

    [Theory]
    [InlineData("\"yes\"")]
    [InlineData("""{"type":"persistent"}""")]
    [InlineData("""{"type":3}""")]
    [InlineData("""{"type":"ephemeral","ttl":"2h"}""")]
    [InlineData("""{"type":"ephemeral","ttl":60}""")]
    public async Task MalformedMarker_Is400(string marker)
    {
        await using var fake = await StartAsync();
        var body = Body(Ask("Question?"), system: [Block(LongSystem)]);
        body["system"]![0]!["cache_control"] = JsonNode.Parse(marker);

        var (status, json) = await SendAsync(fake, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("cache_control.", ErrorMessage(json), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreadableText_IsAnsweredAsWithoutTheSimulator()
    {
        await using var fake = await StartAsync();
        byte[] body = Encoding.UTF8.GetBytes(
            """{"model":"claude-sonnet-4-5","max_tokens":16,"system":"\ud800","messages":[{"role":"user","content":"hi"}],"cache_control":{"type":"ephemeral"}}""");
        using var http = Wire.Client(fake);

        using var response = await http.SendAsync(Wire.Post("v1/messages", body), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, fake.PromptCache.EntryCount);
    }
}
