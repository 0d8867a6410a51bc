using System.Text.Json;

namespace ClaudeCache.Policy;

/// <summary>What a request's cache policy is resolved from: the proxy's own headers and the parsed body.</summary>
/// <param name="StrategyHeader">The <c>x-cache-strategy</c> value, or null.</param>
/// <param name="ContextHeader">The <c>x-cache-context</c> value, or null.</param>
/// <param name="CacheControlHeader">The <c>Cache-Control</c> value, or null.</param>
/// <param name="NamespaceHeader">The <c>x-cache-namespace</c> value, or null.</param>
/// <param name="Body">The parsed request body.</param>
public readonly record struct PolicyInput(
    string? StrategyHeader,
    string? ContextHeader,
    string? CacheControlHeader,
    string? NamespaceHeader,
    JsonElement Body);
