using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace ClaudeCache.Policy;

/// <summary>
/// Resolves a request's <see cref="CachePolicy"/> (architecture step 3): the strategy (<see cref="StrategyResolver"/>),
/// the request's <c>Cache-Control</c>, the never-cache rules and the namespace. Invalid header values are
/// returned as <see cref="CachePolicy.Error"/>, never thrown.
/// </summary>
public sealed class CachePolicyResolver
{
    /// <summary>The longest namespace accepted.</summary>
    public const int MaxNamespaceLength = 64;

    private readonly StrategyOptions _options;
    private readonly StrategyResolver _strategies;

    /// <summary>Builds the resolver (and its <see cref="StrategyResolver"/>) from validated options.</summary>
    public CachePolicyResolver(StrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _strategies = new StrategyResolver(options);
    }

    /// <summary>Resolves the policy of one request.</summary>
    public CachePolicy Resolve(in PolicyInput input)
    {
        if (!TryValidateNamespace(input.NamespaceHeader, out var ns, out var error)
            || !CacheControlDirectives.TryParse(input.CacheControlHeader, out var directives, out error))
        {
            return CachePolicy.Invalid(error);
        }

        var decision = _strategies.Resolve(input.StrategyHeader, input.ContextHeader, input.Body);
        if (!decision.IsValid)
        {
            return CachePolicy.Invalid(decision.Error);
        }

        // Never-cache rules beat every strategy, even an explicit header: these requests have side effects, and
        // an MCP server entry carries a secret token.
        var neverCache = NeverCacheReason(input.Body);
        if (neverCache is not null)
        {
            return NotCached(CacheStrategy.NoCache, neverCache, ns);
        }

        if (decision.Strategy == CacheStrategy.NoCache)
        {
            return NotCached(CacheStrategy.NoCache, decision.Reason, ns);
        }

        if (directives.NoStore)
        {
            return NotCached(decision.Strategy, "cache-control:no-store", ns);
        }

        // A prompt-cache pre-warm (docs/warming.md): it writes Anthropic's prompt cache and generates nothing, an
        // answer no caller could use. Kept under its strategy, so the ledger files it with the traffic it warms for.
        if (IsPrewarm(input.Body))
        {
            return NotCached(decision.Strategy, "max_tokens:0", ns);
        }

        var ttl = directives.MaxAge is { } maxAge
            ? Clamp(maxAge, _options.MinTtl, _options.MaxTtl)
            : _options.GetTtl(decision.Strategy);

        return new CachePolicy(decision.Strategy, decision.Reason, ttl, Lookup: !directives.NoCache, Store: true, ns)
        {
            Stale = StalePolicy.Of(decision.Strategy, directives, _options),
        };
    }

    /// <summary>
    /// Validates an <c>x-cache-namespace</c> value: empty (or absent), or at most 64 characters of
    /// <c>[A-Za-z0-9._:-]</c>. Surrounding whitespace is ignored.
    /// </summary>
    public static bool TryValidateNamespace(string? header, out string ns, [NotNullWhen(false)] out string? error)
    {
        ns = "";
        error = null;
        var value = header.AsSpan().Trim();
        if (value.IsEmpty)
        {
            return true;
        }

        if (value.Length > MaxNamespaceLength || value.ContainsAnyExcept(Policies.LabelChars))
        {
            error = $"{CacheHeaderNames.Namespace}: '{Policies.Shorten(value)}' is not a namespace; use at most {MaxNamespaceLength} characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'.";
            return false;
        }

        ns = value.Length == header!.Length ? header : value.ToString();
        return true;
    }

    private string? NeverCacheReason(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (!_options.CacheContainerRequests && IsPresent(body, "container"))
        {
            return "never-cache:container";
        }

        if (!_options.CacheMcpServerRequests && IsPresent(body, "mcp_servers"))
        {
            return "never-cache:mcp_servers";
        }

        return null;
    }

    private static bool IsPrewarm(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object
        && body.TryGetProperty("max_tokens", out var maxTokens)
        && maxTokens.ValueKind == JsonValueKind.Number
        && maxTokens.TryGetInt64(out var max)
        && max == 0;

    // Null and an empty list configure nothing, so they do not make a request uncacheable.
    private static bool IsPresent(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value)
        && value.ValueKind != JsonValueKind.Null
        && !(value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 0);

    private static CachePolicy NotCached(CacheStrategy strategy, string reason, string ns) =>
        new(strategy, reason, TimeSpan.Zero, Lookup: false, Store: false, ns);

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) =>
        value < min ? min : value > max ? max : value;
}
