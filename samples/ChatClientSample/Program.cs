// Microsoft.Extensions.AI: the Anthropic SDK's AsIChatClient() behind UseClaudeCache(), registered with
// AddClaudeCache(). A counter below the cache shows which calls reached the model (MISS) and which did not (HIT).
// Without ANTHROPIC_API_KEY it runs against the fake upstream started here.
using Anthropic;
using ClaudeCache.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

var apiKey = Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY");
await using var fake = string.IsNullOrEmpty(apiKey) ? await FakeAnthropicUpstream.StartAsync() : null;

var services = new ServiceCollection();
services.AddClaudeCache(options => options.Storage.Provider = "memory");
var modelCalls = 0;
services.AddChatClient(new AnthropicClient { ApiKey = apiKey ?? "sk-ant-sample", BaseUrl = fake?.BaseAddress.ToString() ?? "https://api.anthropic.com" }
        .AsIChatClient("claude-haiku-4-5", 256))
    .UseClaudeCache()
    .Use(async (messages, options, next, cancellationToken) =>
    {
        Interlocked.Increment(ref modelCalls);
        await next(messages, options, cancellationToken);
    });
await using var provider = services.BuildServiceProvider();
var chat = provider.GetRequiredService<IChatClient>();

var tools = new ChatOptions { Tools = [AIFunctionFactory.Create((string address) => "3 sales", "get_comparables", "Comparable sales near an address")] };
for (var call = 1; call <= 2; call++)
{
    var before = modelCalls;
    var response = await chat.GetResponseAsync("In one sentence: what is a cap rate?", tools);
    Console.WriteLine($"call {call}: {(modelCalls > before ? "MISS" : "HIT")}: {response.Text[..Math.Min(60, response.Text.Length)]}");
}

for (var call = 1; call <= 2; call++)
{
    var before = modelCalls;
    var updates = 0;
    await foreach (var update in chat.GetStreamingResponseAsync("Stream it: what is a cap rate?", tools))
    {
        updates++;
    }

    Console.WriteLine($"stream {call}: {(modelCalls > before ? "MISS" : "HIT")}: {updates} updates");
}
