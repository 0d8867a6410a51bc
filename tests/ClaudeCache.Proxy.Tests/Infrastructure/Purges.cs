using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ClaudeCache.Proxy.Tests.Infrastructure;

/// <summary>Calls of <c>DELETE /admin/cache?…</c>, and the tenant tag an operator computes from a credential.</summary>
public static class Purges
{
    /// <summary>Sends the purge; returns the status and the JSON body (a count, or an error envelope).</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> PurgeAsync(ProxyHost proxy, string query)
    {
        using var admin = proxy.CreateAdminClient();
        using var response = await admin.DeleteAsync("admin/cache?" + query);
        var text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text);
        return (response.StatusCode, json.RootElement.Clone());
    }

    /// <summary>Purges and returns how many entries matched (asserting a 200).</summary>
    public static async Task<long> MatchedAsync(ProxyHost proxy, string query)
    {
        var (status, body) = await PurgeAsync(proxy, query);
        Assert.True(status == HttpStatusCode.OK, $"DELETE /admin/cache?{query} answered {(int)status}: {body}");
        Assert.Equal(query.Contains("dryRun=true", StringComparison.Ordinal), body.GetProperty("dryRun").GetBoolean());
        return body.GetProperty("matched").GetInt64();
    }

    /// <summary>
    /// The tenant tag of an API key as docs/invalidation.md tells an operator to compute it: the first 12 hex digits of
    /// HMAC-SHA-256 of the key, keyed with <c>claudecache-tenant-v1</c>.
    /// </summary>
    public static string TenantTag(string apiKey) =>
        Convert.ToHexStringLower(HMACSHA256.HashData("claudecache-tenant-v1"u8, Encoding.UTF8.GetBytes(apiKey)))[..12];
}
