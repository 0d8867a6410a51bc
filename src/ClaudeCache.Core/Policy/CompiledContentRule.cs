using System.Text.RegularExpressions;

namespace ClaudeCache.Policy;

/// <summary>A <see cref="ContentRule"/> ready to match: regex compiled once, reason string built once.</summary>
internal sealed class CompiledContentRule
{
    private readonly string _literal;
    private readonly Regex? _regex;

    public CompiledContentRule(ContentRule rule)
    {
        _literal = rule.Pattern;
        _regex = rule.IsRegex ? rule.CreateRegex() : null;
        Strategy = rule.Strategy;
        Scope = rule.Scope;
        Reason = "rule:" + rule.Pattern;
    }

    public CacheStrategy Strategy { get; }

    public ContentScope Scope { get; }

    public string Reason { get; }

    public bool IsRegex => _regex is not null;

    public string Literal => _literal;

    /// <summary>True when <see cref="Scope"/>'s texts match.</summary>
    public bool Matches(RequestText text) => Scope switch
    {
        ContentScope.System => MatchesAny(text, 0, text.SystemCount),
        ContentScope.LastUserTurn => MatchesAny(text, text.SystemCount, text.LastUserTurnCount),
        _ => MatchesAny(text, 0, text.SystemCount + text.LastUserTurnCount),
    };

    private bool MatchesAny(RequestText texts, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            if (Matches(texts[i]))
            {
                return true;
            }
        }

        return false;
    }

    private bool Matches(ReadOnlySpan<char> text)
    {
        if (_regex is null)
        {
            return text.Contains(_literal, StringComparison.OrdinalIgnoreCase);
        }

        try
        {
            return _regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            // A pattern too slow for this prompt does not match; the request still gets a strategy.
            return false;
        }
    }
}
