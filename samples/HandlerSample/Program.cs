// The official Anthropic SDK with ClaudeCacheHandler in its HttpClient: the second identical call is answered
// in-process. Without ANTHROPIC_API_KEY it runs against the fake upstream started here.
using Anthropic;
using Anthropic.Models.Messages;
using ClaudeCache.Extensions.AI;
using ClaudeCache.Testing;

var apiKey = Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY");
await using var fake = string.IsNullOrEmpty(apiKey) ? await FakeAnthropicUpstream.StartAsync() : null;
var baseUrl = fake?.BaseAddress.ToString() ?? "https://api.anthropic.com";

var engine = ClaudeCacheEngineFactory.Create(new ClaudeCacheOptions { Storage = { Provider = "memory" } });
await using var cache = engine.Cache;
using var client = new AnthropicClient
{
    ApiKey = apiKey ?? "sk-ant-sample",
    BaseUrl = baseUrl,
    HttpClient = new HttpClient(new ClaudeCacheHandler(engine, new SocketsHttpHandler())),
};

var parameters = new MessageCreateParams
{
    Model = "claude-haiku-4-5",
    MaxTokens = 256,
    Messages = [new UserMessageParam("In one sentence: what is a cap rate?")],
};

for (var call = 1; call <= 2; call++)
{
    var started = System.Diagnostics.Stopwatch.GetTimestamp();
    var before = fake?.MessagesCalls;
    var message = await client.Messages.Create(parameters);
    var status = fake is null ? "" : fake.MessagesCalls > before ? "MISS" : "HIT";
    message.Content[0].TryPickText(out var text);
    Console.WriteLine($"call {call}: {status} in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:F1} ms: {text?.Text[..Math.Min(60, text.Text.Length)]}");
}
