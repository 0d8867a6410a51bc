using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Tests.Shared.Generators;
using CsCheck;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// Generated bodies (valid, mutated, random JSON, random bytes, invalid UTF-8, lone surrogates, wrong types in every
/// field) and header values (non-ASCII, control values) through the real proxy against the fake upstream. Every
/// answer is a valid answer or a 4xx in Anthropic's envelope, never a 5xx; a request that cannot be valid never
/// reaches the upstream and is never stored. A fixed seed and a fixed count keep it reproducible and short in CI; a
/// soak run (docs/reliability.md) sets <c>CLAUDECACHE_SOAK_INPUTS</c> (how many) and <c>CLAUDECACHE_SOAK_SEED</c>.
/// </summary>
public sealed class GeneratedInputTests(ITestOutputHelper output)
{
    private static readonly string Seed = Environment.GetEnvironmentVariable("CLAUDECACHE_SOAK_SEED") is { Length: > 0 } seed ? seed : "3mqmZ0_dN0r1";
    private static readonly int Count = int.TryParse(Environment.GetEnvironmentVariable("CLAUDECACHE_SOAK_INPUTS"), out var count) && count > 0 ? count : 600;

    private static readonly Gen<(string Name, string Value)> Header = Gen.Select(
        Gen.OneOf(Gen.Const("user-agent"), Gen.Const("anthropic-beta"), Gen.Const("x-cache-strategy"), Gen.Const("x-cache-context"),
            Gen.Const("x-cache-namespace"), Gen.Const("cache-control"), Gen.Const("x-cache-prompt-breakpoints"), Gen.Const("x-anything")),
        Gen.OneOf(Gen.Const("MyApp/1.0"), Gen.Const(" (Zürich)"), Gen.Const("béta"), Gen.Const("😀"), Gen.Const("客户端"), Gen.Const("aggressive"),
            Gen.Const("no-cache"), Gen.Const("max-age=60"), Gen.Const("auto"), Gen.Const("off"), Gen.Const("\u007f"), Gen.Const("\t"),
            Gen.Const(","), Gen.Const(";"), Gen.Const("="), Gen.Const("ns-1"), Gen.Const("real-time")).Array[1, 3].Select(string.Concat),
        (name, value) => (name, value.Trim()));

    private static readonly Gen<Input> Inputs = Gen.Select(
        Gen.Frequency((4, Gen.Const("v1/messages")), (1, Gen.Const("v1/messages/count_tokens"))),
        RequestBodyGen.AnyBody,
        Gen.Frequency((3, Gen.Const(Array.Empty<(string, string)>())), (2, Header.Array[1, 3])),
        (path, body, headers) => new Input(path, body, headers));

    [Fact]
    public async Task AnyGeneratedRequest_IsAnsweredOr4xxInTheEnvelope_InvalidOnesNeverForwardedNorStored()
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var client = new HttpClient(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 })
        {
            BaseAddress = proxy.BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        var inputs = Check.Single(Inputs.Array[Count], _ => true, Seed);
        int answered = 0, rejected = 0, unreadable = 0, upstreamCallsForUnreadable = 0, serverErrors = 0;

        for (var i = 0; i < inputs.Length; i++)
        {
            var input = inputs[i];
            try
            {
                var mustBeRejected = !ReadableText.ParsesWithReadableText(input.Body);

                // Earlier answers may still be stored or refreshed in the background: count from a quiet proxy.
                await proxy.SettleAsync();
                var callsBefore = proxy.Upstream.TotalCalls;
                var storedBefore = proxy.Cache.Memory.Count;

                var (status, body, cacheStatus) = await SendAsync(client, input);
                var forwarded = proxy.Upstream.TotalCalls - callsBefore;

                serverErrors += status >= 500 ? 1 : 0;
                Assert.InRange(status, 200, 499);
                if (status >= 400)
                {
                    AssertEnvelope(body);
                }

                if (mustBeRejected)
                {
                    unreadable++;
                    upstreamCallsForUnreadable += forwarded;
                    Assert.Equal(400, status);
                }

                if (status >= 400 && forwarded == 0)
                {
                    // Rejected by the proxy itself: nothing stored, and the same request again is rejected again
                    // (never a hit), still without an upstream call.
                    rejected++;
                    Assert.Equal(storedBefore, proxy.Cache.Memory.Count);
                    var (again, againBody, againCache) = await SendAsync(client, input);
                    Assert.Equal(status, again);
                    AssertEnvelope(againBody);
                    Assert.NotEqual("HIT", againCache);
                    Assert.Equal(callsBefore, proxy.Upstream.TotalCalls);
                }
                else
                {
                    answered++;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException(
                    $"Input {i} of {Count} (seed {Seed}) failed: POST {input.Path} [{string.Join("; ", input.Headers.Select(h => h.Name + ": " + h.Value))}] "
                    + $"body {Convert.ToHexString(input.Body)} ({Encoding.UTF8.GetString(input.Body)})", e);
            }
        }

        output.WriteLine($"seed {Seed}: {Count} inputs, {answered} answered, {rejected} rejected by the proxy (4xx), {serverErrors} 5xx, "
            + $"{unreadable} with unreadable text or no JSON, {upstreamCallsForUnreadable} upstream calls for them");
        Assert.Equal(0, upstreamCallsForUnreadable);
        Assert.InRange(answered, 1, Count - 1);
        Assert.InRange(unreadable, 1, Count - 1);
    }

    private static async Task<(int Status, byte[] Body, string CacheStatus)> SendAsync(HttpClient client, Input input)
    {
        using var content = new ByteArrayContent(input.Body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, input.Path) { Content = content };
        request.Headers.TryAddWithoutValidation("x-api-key", "sk-ant-test-key-1");
        request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        foreach (var (name, value) in input.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(), response.Header("x-cache"));
    }

    private static void AssertEnvelope(byte[] body)
    {
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Equal("error", root.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("error").GetProperty("type").GetString()));
        Assert.Equal(JsonValueKind.String, root.GetProperty("error").GetProperty("message").ValueKind);
        Assert.StartsWith("req_", root.GetProperty("request_id").GetString()!, StringComparison.Ordinal);
    }

    private sealed record Input(string Path, byte[] Body, (string Name, string Value)[] Headers);
}
