// The direct API: hand the engine a Messages request body and a way to call upstream; get the Message back,
// whether it came from the cache, and its token usage. Without ANTHROPIC_API_KEY it uses the fake upstream.
using System.Net.Http.Headers;
using System.Text;
using ClaudeCache;
using ClaudeCache.Extensions.AI;
using ClaudeCache.Testing;

var apiKey = Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY");
await using var fake = string.IsNullOrEmpty(apiKey) ? await FakeAnthropicUpstream.StartAsync() : null;
var baseUrl = fake?.BaseAddress ?? new Uri("https://api.anthropic.com/");
apiKey ??= "sk-ant-sample";

var engine = ClaudeCacheEngineFactory.Create(new ClaudeCacheOptions { Storage = { Provider = "memory" } });
await using var cache = engine.Cache;
using var http = new HttpClient();

var body = Encoding.UTF8.GetBytes("""{"model":"claude-haiku-4-5","max_tokens":256,"messages":[{"role":"user","content":"In one sentence: what is a cap rate?"}]}""");
var headers = new RequestHeaders(ApiKey: apiKey, Authorization: null, AnthropicVersion: "2023-06-01", AnthropicBeta: null, Strategy: null, Context: null, CacheControl: null, Namespace: null);

Task<HttpResponseMessage> CallUpstream(CancellationToken cancellationToken)
{
    var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "v1/messages")) { Content = new ByteArrayContent(body) };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    request.Headers.Add("x-api-key", apiKey);
    request.Headers.Add("anthropic-version", "2023-06-01");
    return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
}

for (var call = 1; call <= 2; call++)
{
    var result = await engine.GetOrCallAsync(body, headers, CallUpstream, CancellationToken.None);
    Console.WriteLine($"call {call}: {result.Status} (from cache: {result.FromCache}, status {result.StatusCode}, " +
        $"{result.Usage.TotalInputTokens} input + {result.Usage.OutputTokens} output tokens, cost {result.Cost?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"})");
}
