// The official Anthropic SDK pointed at the claudecache proxy: no code change but the base URL. The proxy's
// x-cache response header says MISS or HIT. With CLAUDECACHE_URL set, it uses that proxy; otherwise it starts
// one here, in front of the real API (ANTHROPIC_API_KEY set) or the fake upstream.
using Anthropic;
using Anthropic.Models.Messages;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

var apiKey = Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY");
var proxyUrl = Environment.GetEnvironmentVariable("CLAUDECACHE_URL");
await using var fake = string.IsNullOrEmpty(apiKey) && string.IsNullOrEmpty(proxyUrl) ? await FakeAnthropicUpstream.StartAsync() : null;
WebApplication? proxy = null;
if (string.IsNullOrEmpty(proxyUrl))
{
    proxy = ProxyApp.Create([], new Dictionary<string, string?>
    {
        ["ClaudeCache:Port"] = "0",
        ["ClaudeCache:Upstream"] = fake?.BaseAddress.ToString() ?? "https://api.anthropic.com",
        ["ClaudeCache:Storage:Provider"] = "memory",
        ["Logging:LogLevel:Default"] = "Warning",
    });
    await proxy.StartAsync();
    proxyUrl = proxy.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}

var recorder = new CacheHeaderRecorder { InnerHandler = new SocketsHttpHandler() };
using var client = new AnthropicClient { ApiKey = apiKey ?? "sk-ant-sample", BaseUrl = proxyUrl, HttpClient = new HttpClient(recorder) };
var parameters = new MessageCreateParams
{
    Model = "claude-haiku-4-5",
    MaxTokens = 256,
    Messages = [new UserMessageParam("In one sentence: what is a cap rate?")],
};

for (var call = 1; call <= 2; call++)
{
    var message = await client.Messages.Create(parameters);
    message.Content[0].TryPickText(out var text);
    Console.WriteLine($"call {call}: {recorder.LastStatus}: {text?.Text[..Math.Min(60, text.Text.Length)]}");
}

if (proxy is not null)
{
    await proxy.StopAsync();
    await proxy.DisposeAsync();
}
