using System.Text;
using System.Text.Json;
using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.Keys;
using ClaudeCache.Policy;
using ClaudeCache.Tests.Shared.Generators;
using CsCheck;

namespace ClaudeCache.Tests.Properties;

/// <summary>
/// Validation, policy and key on generated bodies: no input makes them throw, and every body whose text .NET
/// cannot read is rejected by validation (checked against an independent reader: every string read back).
/// </summary>
public sealed class GeneratedRequestTests(ITestOutputHelper output)
{
    private const int Iterations = 3000;

    private static readonly RequestPreparer Preparer = new(
        new CachePolicyResolver(new StrategyOptions()), new TenantOptions());

    private static readonly StrategyResolver Resolver = new(new StrategyOptions());

    // Throws on a lone surrogate that made it into a string.

    private static readonly RequestHeaders Headers = new("sk-ant-test", "", "2023-06-01", "", "", "", "", "");

    [Fact]
    public void PrepareAndKey_AnyGeneratedBody_NeverThrow_AndUnreadableTextIsAlwaysRejected()
    {
        var tried = 0;
        var rejected = 0;
        RequestBodyGen.AnyBody.Sample(body =>
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(body);
            }
            catch (JsonException)
            {
                return; // the proxy answers these 400 before validation
            }

            using (document)
            {
                var root = document.RootElement;
                var readable = ReadableText.EveryStringReadable(root);
                foreach (var endpoint in new[] { RequestEndpoint.Messages, RequestEndpoint.CountTokens })
                {
                    var prepared = Preparer.Prepare("/v1/messages", endpoint, root, Headers, out var error);
                    Assert.True(prepared is not null ^ error is not null);
                    if (!readable)
                    {
                        Assert.Null(prepared);
                    }

                    Interlocked.Increment(ref tried);
                    if (prepared is null)
                    {
                        Interlocked.Increment(ref rejected);
                    }
                }

                // Defence in depth: the key and the content rules take any parsed body, valid or not.
                CacheKeyBuilder.Build(new CacheKeyInput("p", "", "/v1/messages", "2023-06-01", null, root));
                Resolver.Resolve(null, null, root);
            }
        }, iter: Iterations, threads: 1, print: b => Convert.ToHexString(b) + " " + Encoding.UTF8.GetString(b), writeLine: output.WriteLine);

        output.WriteLine($"{tried} preparations, {rejected} rejected");
        Assert.InRange(rejected, 1, tried - 1);
    }
}
