using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;

namespace ClaudeCache.Proxy.Tests;

/// <summary>
/// The mission's headline: 70% or more off the Claude bill of a repetitive workload. A real-estate assistant's
/// traffic (property and market analyses, lead qualification, explanations, streamed live coaching, three in four
/// requests repeating an earlier one) goes through the proxy over ten minutes of its clock, with what real clients
/// vary between identical requests (end-user ids in <c>metadata</c>, SDK telemetry headers). The ledger must show
/// the saving, and every repeat must be the first answer byte for byte.
/// </summary>
public sealed class RepetitiveWorkloadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RepetitiveWorkload_CostsAtLeast70PercentLess_AndEveryRepeatIsTheFirstAnswer()
    {
        await using var proxy = await ProxyHost.StartAsync();
        var items = RealEstateWorkload.Generate(240, repeatRatio: 0.75, seed: 70).ToList();
        var first = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);

        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            proxy.Clock.Advance(TimeSpan.FromSeconds(2.5)); // 240 requests over ten minutes, inside every strategy's TTL
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
            {
                Content = new StringContent(WithEndUser(item.Body, i), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            };
            request.Headers.Add("x-cache-context", item.ContextType);
            request.Headers.Add("x-stainless-retry-count", (i % 3).ToString(CultureInfo.InvariantCulture));
            using var response = await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
            var outcome = response.Header("x-cache");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;

            if (first.TryGetValue(item.Body, out var original))
            {
                Assert.Equal("HIT", outcome);
                Assert.Equal(original, body);
            }
            else
            {
                Assert.Equal("MISS", outcome);
                first[item.Body] = body;
                await proxy.SettleAsync(); // the next repeat of it may come right away
            }
        }

        var totals = await CostAccountingTests.StatsAsync(proxy, items.Count);
        var cost = totals.GetProperty("costUsd").GetDecimal();
        var savings = totals.GetProperty("savingsUsd").GetDecimal();
        var bill = totals.GetProperty("costWithoutCacheUsd").GetDecimal();
        var cut = (double)(savings / bill);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{items.Count} requests, {first.Count} unique: {string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))}; bill ${bill:0.0000} without the cache, ${cost:0.0000} with it: {cut:P1} off"));

        Assert.Equal(first.Count, proxy.Upstream.MessagesCalls);
        Assert.Equal(bill, cost + savings);
        Assert.True(cut >= 0.70, $"only {cut:P1} off the bill");
        Assert.Equal(cut, totals.GetProperty("savingsRatio").GetDouble(), 6);
        foreach (var type in new[] { "property_analysis", "lead_qualification", "market_analysis", "explanation", "coaching" })
        {
            Assert.Contains(items, item => item.ContextType == type && item.IsRepeat);
        }
    }

    /// <summary>Sets <c>metadata.user_id</c>: the end user differs between identical requests, the answer does not.</summary>
    private static string WithEndUser(string body, int index) =>
        string.Concat("{\"metadata\":{\"user_id\":\"agent-", index.ToString(CultureInfo.InvariantCulture), "\"},", body.AsSpan(1));
}
