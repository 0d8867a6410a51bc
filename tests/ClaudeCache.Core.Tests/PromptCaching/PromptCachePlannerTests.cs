using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ClaudeCache.Anthropic;
using ClaudeCache.PromptCaching;
using Microsoft.Extensions.Time.Testing;

namespace ClaudeCache.Tests.PromptCaching;

/// <summary>
/// The learned planner's rules (issue 11 items 2–4, 6): write what is expected to be read, mark what Anthropic holds,
/// hold a call on a cold prefix another call is writing, remember a bounded number of prefixes, and stop writing where
/// the markers did not pay.
/// </summary>
public sealed class PromptCachePlannerTests : IDisposable
{
    private const string Partition = "tenant-a";
    private static readonly string System = Filler(6_000, "You analyse listings. ");
    private static readonly string Document = Filler(8_000, "Purchase agreement clause. ");

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));
    private readonly PromptCachePlanner _planner;

    public PromptCachePlannerTests() => _planner = new PromptCachePlanner(new PromptCachingOptions(), _clock);

    public void Dispose() => _planner.Dispose();

    private static string Filler(int bytes, string sentence) =>
        string.Concat(Enumerable.Repeat(sentence, (bytes / sentence.Length) + 1))[..bytes];

    private static JsonObject Text(string text) => new() { ["type"] = "text", ["text"] = text };

    private static string Body(string? system, params (string Role, JsonNode Content)[] messages)
    {
        var body = new JsonObject { ["model"] = "claude-sonnet-4-5", ["max_tokens"] = 256 };
        if (system is not null)
        {
            body["system"] = system;
        }

        body["messages"] = new JsonArray([.. messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content.DeepClone() })]);
        return body.ToJsonString();
    }

    private static string Chat(params string[] turns) =>
        Body(System, [.. turns.Select((t, i) => (i % 2 == 0 ? "user" : "assistant", (JsonNode)JsonValue.Create(t)!))]);

    private PromptCacheCall Plan(string body, string partition = Partition, string? mode = null) =>
        _planner.Plan(Encoding.UTF8.GetBytes(body), RequestEndpoint.Messages, partition, mode);

    /// <summary>Plans and "sends" the call: its response begins at once (a 200), as a real upstream's would.</summary>
    private async Task<List<string>> SendAsync(string body, string partition = Partition)
    {
        var call = Plan(body, partition);
        await call.Wrap(_ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)))(CancellationToken.None);
        return Marks(call);
    }

    private static List<string> Marks(PromptCacheCall call)
    {
        var found = new List<string>();
        void Walk(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                foreach (var (name, value) in o)
                {
                    if (name == "cache_control")
                    {
                        found.Add(o.GetPath() + (value!["ttl"] is { } ttl ? " " + ttl.GetValue<string>() : string.Empty));
                    }
                    else
                    {
                        Walk(value);
                    }
                }
            }
            else if (node is JsonArray a)
            {
                foreach (var item in a)
                {
                    Walk(item);
                }
            }
        }

        Walk(JsonNode.Parse(call.Body.Span));
        return found;
    }

    [Fact]
    public async Task APromptSeenOnce_GoesUnmarked_ItsSystemPromptIsWrittenWhenItComesBack()
    {
        Assert.Empty(await SendAsync(Chat("Analyse 12 Oak Street")));
        Assert.Equal(["$.system[0]"], await SendAsync(Chat("Analyse 14 Oak Street")));
    }

    [Fact]
    public async Task AContinuedConversation_MarksItsLastTurn_AndTheNextTurnReadsWhatItWrote()
    {
        await SendAsync(Chat("Analyse 12 Oak Street"));
        var second = await SendAsync(Chat("Analyse 12 Oak Street", "It is fairly priced.", "And the roof?"));
        var third = await SendAsync(Chat("Analyse 12 Oak Street", "It is fairly priced.", "And the roof?", "Twenty years old.", "Schools?"));

        Assert.Equal(["$.system[0]", "$.messages[2].content[0]"], second);
        Assert.Equal(["$.system[0]", "$.messages[4].content[0]"], third);
    }

    [Fact]
    public async Task FirstTurnsOfAShapeThatConversationsContinue_AreMarked()
    {
        await SendAsync(Chat("Analyse 12 Oak Street"));
        await SendAsync(Chat("Analyse 12 Oak Street", "It is fairly priced.", "And the roof?"));

        // Conversations on this system prompt continue: a new one's first turn is worth writing.
        Assert.Equal(["$.system[0]", "$.messages[0].content[0]"], await SendAsync(Chat("Analyse 3 Elm Road")));
    }

    [Fact]
    public async Task OneOffPrompts_AreNeverMarked()
    {
        for (var i = 0; i < 10; i++)
        {
            var body = Body(null, ("user", JsonValue.Create(Filler(6_000, $"One-off report {i}. "))!));
            Assert.Empty(await SendAsync(body));
        }
    }

    [Fact]
    public async Task ALeadingDocument_IsItsOwnPrefix_FromTheFirstRequest()
    {
        var marks = await SendAsync(Body(null, ("user", new JsonArray(Text(Document), Text("Who pays the transfer tax?")))));

        Assert.Equal(["$.messages[0].content[0]"], marks);
    }

    [Fact]
    public async Task ACallOnAColdPrefixAnotherCallIsWriting_WaitsUntilThatResponseBegins_ThenReads()
    {
        var writerResponse = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = Plan(Body(null, ("user", new JsonArray(Text(Document), Text("Who pays the transfer tax?")))));
        var writing = writer.Wrap(_ => writerResponse.Task)(CancellationToken.None);

        var follower = Plan(Body(null, ("user", new JsonArray(Text(Document), Text("When is the closing date?")))));
        var sent = 0;
        var following = follower.Wrap(_ =>
        {
            sent++;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        })(CancellationToken.None);

        Assert.Equal(1, _planner.Waiting);
        Assert.Equal(0, sent);

        writerResponse.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await writing;
        await following;

        Assert.Equal(1, sent);
        Assert.Equal(0, _planner.Waiting);
        Assert.Equal(1, _planner.ColdPrefixWaits);
        Assert.NotNull(follower.Waited);
        Assert.Null(writer.Waited);
        Assert.Equal(["$.messages[0].content[0]"], Marks(follower));
    }

    [Fact]
    public async Task TheWait_IsBounded()
    {
        var writer = Plan(Body(null, ("user", new JsonArray(Text(Document), Text("Who pays the transfer tax?")))));
        var never = new TaskCompletionSource<HttpResponseMessage>();
        _ = writer.Wrap(_ => never.Task)(CancellationToken.None);

        var follower = Plan(Body(null, ("user", new JsonArray(Text(Document), Text("When is the closing date?")))));
        var following = follower.Wrap(_ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)))(CancellationToken.None);
        Assert.False(following.IsCompleted);

        _clock.Advance(PromptCachingOptions.DefaultMaxColdPrefixWait);
        await following;

        Assert.Equal(PromptCachingOptions.DefaultMaxColdPrefixWait, follower.Waited);
    }

    [Fact]
    public async Task AFailedWriter_ReleasesItsFollowers()
    {
        var writer = Plan(Body(null, ("user", new JsonArray(Text(Document), Text("Who pays the transfer tax?")))));
        var failing = new TaskCompletionSource<HttpResponseMessage>();
        var writing = writer.Wrap(_ => failing.Task)(CancellationToken.None);
        var follower = Plan(Body(null, ("user", new JsonArray(Text(Document), Text("When is the closing date?")))));
        var following = follower.Wrap(_ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)))(CancellationToken.None);

        failing.SetException(new HttpRequestException("unreachable"));
        await Assert.ThrowsAsync<HttpRequestException>(() => writing);
        await following;

        Assert.Equal(0, _planner.Waiting);
    }

    [Fact]
    public async Task APrefixThatComesBackAfterMoreThanFiveMinutes_IsWrittenForAnHour_AndNoHourMarkFollowsAFiveMinuteOne()
    {
        await SendAsync(Chat("Analyse 12 Oak Street"));
        _clock.Advance(TimeSpan.FromMinutes(12));

        Assert.Equal(["$.system[0] 1h"], await SendAsync(Chat("Analyse 14 Oak Street")));

        // A continued conversation after the hour-long system entry: the system mark keeps its hour, the turn 5 minutes.
        var marks = await SendAsync(Chat("Analyse 14 Oak Street", "It is fairly priced.", "And the roof?"));
        Assert.Equal(["$.system[0] 1h", "$.messages[2].content[0]"], marks);
    }

    [Fact]
    public async Task ALongStep_MarksTheTurnAnthropicHolds_WhenTheLastTurnCannotReachIt()
    {
        var turns = new List<string> { "Research 12 Oak Street" };
        await SendAsync(Chat([.. turns]));
        turns.AddRange(["Looking.", "Go on."]);
        await SendAsync(Chat([.. turns]));

        // 24 more blocks: the last turn is past the 20-block lookback of the turn the previous call wrote.
        for (var i = 0; i < 12; i++)
        {
            turns.AddRange([$"Step {i}.", $"Result {i}."]);
        }

        Assert.Equal(["$.system[0]", "$.messages[2].content[0]", "$.messages[26].content[0]"], await SendAsync(Chat([.. turns])));
    }

    [Fact]
    public async Task CallerMarkers_AreRespected()
    {
        var body = Body(System, ("user", new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "Hi", ["cache_control"] = new JsonObject { ["type"] = "ephemeral" } })));
        await SendAsync(body);

        var call = Plan(body);

        Assert.False(call.Marked);
        Assert.Equal(body, Encoding.UTF8.GetString(call.Body.Span));
    }

    [Fact]
    public async Task AnEmptyLastBlock_IsNeverMarked()
    {
        await SendAsync(Chat("Analyse 12 Oak Street"));
        var body = Body(System, ("user", JsonValue.Create("Analyse 12 Oak Street")!), ("assistant", JsonValue.Create("Fair.")!), ("user", new JsonArray(Text("Roof?"), Text(string.Empty))));

        Assert.Equal(["$.system[0]"], await SendAsync(body));
    }

    [Fact]
    public async Task Tenants_DoNotShareWhatTheRecordLearned()
    {
        await SendAsync(Chat("Analyse 12 Oak Street"), "tenant-a");

        Assert.Empty(await SendAsync(Chat("Analyse 14 Oak Street"), "tenant-b"));
    }

    [Fact]
    public async Task TheRecord_IsBounded()
    {
        using var small = new PromptCachePlanner(new PromptCachingOptions { RecordMaxEntries = 16 }, _clock);
        for (var i = 0; i < 200; i++)
        {
            var call = small.Plan(Encoding.UTF8.GetBytes(Chat($"Question {i}", "Answer.", $"Follow-up {i}")), RequestEndpoint.Messages, Partition, null);
            await call.Wrap(_ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)))(CancellationToken.None);
            Assert.InRange(small.RememberedPrefixes, 0, 16);
        }
    }

    [Fact]
    public async Task AClosedValve_StopsPredictedWrites_ButNotWritesOfPrefixesThatCameBack()
    {
        await SendAsync(Chat("Analyse 12 Oak Street"));
        await SendAsync(Chat("Analyse 12 Oak Street", "It is fairly priced.", "And the roof?"));
        var key = Partition + "/claude-sonnet-4-5";
        for (var i = 0; i < 10; i++)
        {
            _planner.Judged(key, new TokenUsage(100, 10, 4_000, 0, 4_000, 0, null));
        }

        Assert.Equal([key], _planner.ClosedValves);

        // A new continued turn would be written on a prediction: not while the valve is closed. The system prompt,
        // which came back, still is marked.
        var marks = await SendAsync(Chat("Analyse 3 Elm Road", "It is fairly priced.", "And the roof?"));
        Assert.Equal(["$.system[0]"], marks);
    }

    [Fact]
    public void ModeOff_AndCountTokens_SendTheCallersBytes()
    {
        var body = Chat("Analyse 12 Oak Street");
        Assert.False(Plan(body, mode: "off").Marked);
        Assert.False(_planner.Plan(Encoding.UTF8.GetBytes(body), RequestEndpoint.CountTokens, Partition, "always").Marked);
    }
}
