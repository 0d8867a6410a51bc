using System.Buffers;
using System.Collections.Frozen;
using System.Text.Json;

namespace ClaudeCache.Policy;

/// <summary>
/// Chooses a request's <see cref="CacheStrategy"/>. Precedence: the <c>x-cache-strategy</c> header, then the
/// context type (<c>x-cache-context</c>, when it is a known one), then content rules (first match in order),
/// then <see cref="StrategyOptions.DefaultStrategy"/>. Built once from options; resolving is cheap.
/// </summary>
public sealed class StrategyResolver
{
    private static readonly string s_validStrategies = "aggressive, standard, conservative, real-time or no-cache";

    private readonly CacheStrategy _default;
    private readonly FrozenDictionary<string, StrategyDecision> _contexts;
    private readonly CompiledContentRule[] _rules;

    // Which texts any rule looks at: the others are not read at all (the default rules ignore the system prompt).
    private readonly bool _readSystem;
    private readonly bool _readLastUserTurn;

    // One vectorised multi-string search per scope tells whether any literal rule can match at all: most requests
    // match none, and then only the (few) regex rules are run.
    private readonly SearchValues<string>? _systemLiterals;
    private readonly SearchValues<string>? _lastUserTurnLiterals;

    /// <summary>Compiles the options' contexts and content rules.</summary>
    public StrategyResolver(StrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _default = options.DefaultStrategy;

        var contexts = new Dictionary<string, StrategyDecision>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, strategy) in options.Contexts ?? [])
        {
            var trimmed = name.Trim();
            contexts[trimmed] = new StrategyDecision(strategy, "context:" + trimmed.ToLowerInvariant());
        }

        _contexts = contexts.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

        IEnumerable<ContentRule> rules = options.ContentRules ?? [];
        if (options.UseDefaultContentRules)
        {
            rules = rules.Concat(StrategyOptions.DefaultContentRules);
        }

        _rules = [.. rules.Where(r => !string.IsNullOrEmpty(r?.Pattern)).Select(r => new CompiledContentRule(r))];
        _readSystem = _rules.Any(r => r.Scope != ContentScope.LastUserTurn);
        _readLastUserTurn = _rules.Any(r => r.Scope != ContentScope.System);
        _systemLiterals = Literals(_rules.Where(r => r.Scope != ContentScope.LastUserTurn));
        _lastUserTurnLiterals = Literals(_rules.Where(r => r.Scope != ContentScope.System));

        static SearchValues<string>? Literals(IEnumerable<CompiledContentRule> rules)
        {
            string[] literals = [.. rules.Where(r => !r.IsRegex).Select(r => r.Literal)];
            return literals.Length > 0 ? SearchValues.Create(literals, StringComparison.OrdinalIgnoreCase) : null;
        }
    }

    /// <summary>
    /// Resolves the strategy. An invalid <c>x-cache-strategy</c> value gives a decision whose
    /// <see cref="StrategyDecision.Error"/> names the header; an unknown context type is not an error, it falls
    /// through to the content rules.
    /// </summary>
    public StrategyDecision Resolve(string? strategyHeader, string? contextHeader, JsonElement body)
    {
        // 1. Explicit header.
        if (!string.IsNullOrWhiteSpace(strategyHeader))
        {
            return TryParseStrategy(strategyHeader, out var strategy)
                ? new StrategyDecision(strategy, "header")
                : StrategyDecision.Invalid(
                    $"{CacheHeaderNames.Strategy}: '{Policies.Shorten(strategyHeader.AsSpan().Trim())}' is not a cache strategy; use {s_validStrategies}.");
        }

        // 2. Context type.
        if (!string.IsNullOrWhiteSpace(contextHeader)
            && _contexts.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(contextHeader.AsSpan().Trim(), out var byContext))
        {
            return byContext;
        }

        // 3. Content rules.
        if (_rules.Length > 0)
        {
            var text = RequestText.Rent(body, _readSystem, _readLastUserTurn);
            try
            {
                var literalMayMatch = AnyLiteralOccurs(text);
                foreach (var rule in _rules)
                {
                    if ((rule.IsRegex || literalMayMatch) && rule.Matches(text))
                    {
                        return new StrategyDecision(rule.Strategy, rule.Reason);
                    }
                }
            }
            finally
            {
                text.Return();
            }
        }

        // 4. Default.
        return new StrategyDecision(_default, "default");
    }

    /// <summary>
    /// Parses an <c>x-cache-strategy</c> value, case-insensitively: aggressive, standard, conservative,
    /// real-time (or realtime, real_time), no-cache (or nocache, no_cache).
    /// </summary>
    public static bool TryParseStrategy(string? value, out CacheStrategy strategy)
    {
        var text = value.AsSpan().Trim();
        CacheStrategy? parsed =
            Is(text, "aggressive") ? CacheStrategy.Aggressive
            : Is(text, "standard") ? CacheStrategy.Standard
            : Is(text, "conservative") ? CacheStrategy.Conservative
            : Is(text, "real-time") || Is(text, "realtime") || Is(text, "real_time") ? CacheStrategy.RealTime
            : Is(text, "no-cache") || Is(text, "nocache") || Is(text, "no_cache") ? CacheStrategy.NoCache
            : null;
        strategy = parsed.GetValueOrDefault();
        return parsed.HasValue;

        static bool Is(ReadOnlySpan<char> text, string name) => text.Equals(name, StringComparison.OrdinalIgnoreCase);
    }

    private bool AnyLiteralOccurs(RequestText text)
    {
        var systemCount = text.SystemCount;
        var total = systemCount + text.LastUserTurnCount;
        for (var i = 0; i < total; i++)
        {
            var literals = i < systemCount ? _systemLiterals : _lastUserTurnLiterals;
            if (literals is not null && text[i].ContainsAny(literals))
            {
                return true;
            }
        }

        return false;
    }
}
