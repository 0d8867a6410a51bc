using System.Text.Json;
using ClaudeCache.Warming;

namespace ClaudeCache.Tests.Warming;

public sealed class WarmingProfileTests
{
    private const string Body = """{ "model": "claude-sonnet-4-5", "max_tokens": 256, "messages": [ { "role": "user", "content": "Explain a cap rate" } ] }""";

    private static string Profile(string requests, string extra = "") =>
        $$"""{ "name": "test", {{extra}} "requests": [ {{requests}} ] }""";

    private static string Problem(string json)
    {
        var ex = Assert.Throws<WarmingProfileException>(() => WarmingProfile.Parse(json, "/profiles/test.json"));
        Assert.Contains("/profiles/test.json", ex.Message, StringComparison.Ordinal);
        return ex.Message;
    }

    [Fact]
    public void Parse_ReadsNameRequestsHeadersConcurrencyAndInterval()
    {
        var profile = WarmingProfile.Parse(Profile($$"""{ "name": "cap-rate", "headers": { "x-cache-context": "explanation" }, "body": {{Body}} }, { "body": {{Body}} }""", "\"concurrency\": 2, \"interval\": \"6h\","), "p.json");

        Assert.Equal("test", profile.Name);
        Assert.Equal(2, profile.Concurrency);
        Assert.Equal(TimeSpan.FromHours(6), profile.Interval);
        Assert.Equal(2, profile.Requests.Count);
        Assert.Equal("cap-rate", profile.Requests[0].Name);
        Assert.Equal("#2", profile.Requests[1].Name);
        Assert.Equal("explanation", profile.Requests[0].Headers["X-Cache-Context"]);
        Assert.Contains("\"max_tokens\": 256", profile.Requests[0].Body, StringComparison.Ordinal);
    }

    [Fact]
    public void PrewarmPrompt_SendsTheEntryWithMaxTokensZero_NoStream_AndTheProxysBreakpoints()
    {
        const string Streamed = """{ "model": "claude-sonnet-4-5", "max_tokens": 256, "stream": true, "system": "Be brief.", "messages": [ { "role": "user", "content": "Explain a cap rate" } ] }""";

        var profile = WarmingProfile.Parse(Profile($$"""{ "prewarmPrompt": true, "body": {{Streamed}} }, { "prewarmPrompt": false, "body": {{Body}} }"""), "p.json");

        var prewarm = profile.Requests[0];
        Assert.True(prewarm.PrewarmPrompt);
        using var sent = JsonDocument.Parse(prewarm.Body);
        Assert.Equal(0, sent.RootElement.GetProperty("max_tokens").GetInt32());
        Assert.False(sent.RootElement.TryGetProperty("stream", out _));
        Assert.Equal("Be brief.", sent.RootElement.GetProperty("system").GetString());
        Assert.Equal("always", prewarm.Headers["x-cache-prompt-breakpoints"]);
        Assert.False(profile.Requests[1].PrewarmPrompt);
        Assert.Equal(Body, profile.Requests[1].Body);
        Assert.False(profile.Requests[1].Headers.ContainsKey("x-cache-prompt-breakpoints"));
    }

    [Theory]
    [InlineData("\"thinking\": { \"type\": \"enabled\", \"budget_tokens\": 1024 },", "with extended thinking")]
    [InlineData("\"tool_choice\": { \"type\": \"any\" },", "with a forced tool_choice")]
    [InlineData("\"tool_choice\": { \"type\": \"tool\", \"name\": \"f\" },", "with a forced tool_choice")]
    public void PrewarmPrompt_WhereTheApiRefusesMaxTokensZero_IsRefusedBeforeAnythingIsSent(string field, string expected)
    {
        var body = $$"""{ "model": "claude-sonnet-4-5", "max_tokens": 2048, {{field}} "messages": [ { "role": "user", "content": "Explain a cap rate" } ] }""";

        var message = Problem(Profile($$"""{ "name": "cap", "prewarmPrompt": true, "body": {{body}} }"""));

        Assert.Contains($"requests[0] (cap): \"prewarmPrompt\" cannot be used {expected}", message, StringComparison.Ordinal);
        Assert.Single(WarmingProfile.Parse(Profile($$"""{ "body": {{body}} }"""), "p.json").Requests); // fine without the flag
    }

    [Fact]
    public void PrewarmPrompt_NotABoolean_IsRefused() =>
        Assert.Contains("\"prewarmPrompt\" must be true or false", Problem(Profile($$"""{ "prewarmPrompt": "yes", "body": {{Body}} }""")), StringComparison.Ordinal);

    [Fact]
    public void Parse_Defaults_ConcurrencyFour_NoInterval()
    {
        var profile = WarmingProfile.Parse(Profile($$"""{ "body": {{Body}} }"""), "p.json");

        Assert.Equal(WarmingProfile.DefaultConcurrency, profile.Concurrency);
        Assert.Null(profile.Interval);
        Assert.Empty(profile.Requests[0].Headers);
    }

    [Fact]
    public void Parse_AllowsComments()
    {
        var profile = WarmingProfile.Parse("// warmed nightly\n" + Profile($$"""{ "body": {{Body}} }, """), "p.json");

        Assert.Single(profile.Requests);
    }

    [Theory]
    [InlineData("{ not json", "not valid JSON")]
    [InlineData("[]", "root must be a JSON object")]
    [InlineData("""{ "requests": [] }""", "\"name\"")]
    [InlineData("""{ "name": "x", "requests": [] }""", "\"requests\" must be a non-empty array")]
    [InlineData("""{ "name": "x", "concurrency": 0, "requests": [ { "body": {} } ] }""", "\"concurrency\"")]
    [InlineData("""{ "name": "x", "interval": "soon", "requests": [ { "body": {} } ] }""", "\"interval\"")]
    [InlineData("""{ "name": "x", "requests": [ { "headers": {} } ] }""", "requests[0] (#1): \"body\"")]
    [InlineData("""{ "name": "x", "requests": [ { "body": { "max_tokens": 5, "messages": [ {} ] } } ] }""", "body.model")]
    [InlineData("""{ "name": "x", "requests": [ { "body": { "model": "m", "messages": [ {} ] } } ] }""", "body.max_tokens")]
    [InlineData("""{ "name": "x", "requests": [ { "body": { "model": "m", "max_tokens": 5 } } ] }""", "body.messages")]
    public void Parse_Malformed_NamesTheFileAndTheProblem(string json, string expected)
    {
        Assert.Contains(expected, Problem(json), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x-api-key")]
    [InlineData("Authorization")]
    public void Parse_RejectsCredentialsInAProfile(string header)
    {
        var message = Problem(Profile($$"""{ "name": "leaky", "headers": { "{{header}}": "sk-ant-secret" }, "body": {{Body}} }"""));

        Assert.Contains("leaky", message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-ant-secret", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_NamesIt()
    {
        var path = Path.Combine(Path.GetTempPath(), "claudecache-no-such-profile.json");

        var ex = Assert.Throws<WarmingProfileException>(() => WarmingProfile.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TheRealEstateSample_HasTenRequestsWithContexts()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ClaudeCache.slnx")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        var profile = WarmingProfile.Load(Path.Combine(dir.FullName, "samples", "warming", "real-estate.json"));

        Assert.Equal("real-estate", profile.Name);
        Assert.Equal(10, profile.Requests.Count);
        Assert.All(profile.Requests, r => Assert.True(r.Headers.ContainsKey("x-cache-context")));
        Assert.Equal(profile.Requests.Count, profile.Requests.Select(r => r.Name).Distinct().Count());
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("6h", 21600)]
    [InlineData("1d", 86400)]
    [InlineData("01:30:00", 5400)]
    public void TryParseInterval_ReadsShorthandsAndTimeSpans(string text, int seconds)
    {
        Assert.True(WarmingProfile.TryParseInterval(text, out var interval));
        Assert.Equal(TimeSpan.FromSeconds(seconds), interval);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0m")]
    [InlineData("-5m")]
    [InlineData("6x")]
    [InlineData("00:00:00")]
    public void TryParseInterval_RejectsNonPositiveOrUnknown(string text)
    {
        Assert.False(WarmingProfile.TryParseInterval(text, out _));
    }
}
