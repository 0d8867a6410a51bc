using System.Text.Json;

namespace ClaudeCache.Keys;

/// <summary>Everything a cache key is computed from.</summary>
/// <param name="Partition">The tenant partition (<see cref="TenantPartition.Compute"/>): keeps tenants apart.</param>
/// <param name="Namespace">The namespace the request declared (<c>x-cache-namespace</c>), or empty.</param>
/// <param name="Path">The route path, e.g. <c>/v1/messages</c>. A query string, if passed, is ignored.</param>
/// <param name="AnthropicVersion">The <c>anthropic-version</c> header value, or null.</param>
/// <param name="AnthropicBeta">The <c>anthropic-beta</c> header value(s): a comma list; several header values
/// may be joined with commas. Order, duplicates and whitespace do not matter.</param>
/// <param name="Body">The parsed request body.</param>
public readonly record struct CacheKeyInput(
    string Partition,
    string Namespace,
    string Path,
    string? AnthropicVersion,
    string? AnthropicBeta,
    JsonElement Body);
