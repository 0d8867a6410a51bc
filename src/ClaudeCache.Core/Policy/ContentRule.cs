using System.Text.RegularExpressions;

namespace ClaudeCache.Policy;

/// <summary>
/// Chooses a strategy when a request's text contains <see cref="Pattern"/>. Rules are checked in order and the
/// first match wins (see <see cref="StrategyOptions.ContentRules"/>).
/// </summary>
public sealed class ContentRule
{
    // Regexes run on untrusted prompt text: a backtracking pattern gets a deadline.
    private static readonly TimeSpan s_regexTimeout = TimeSpan.FromMilliseconds(50);

    /// <summary>A case-insensitive substring, or a regular expression when <see cref="IsRegex"/>.</summary>
    public string Pattern { get; set; } = "";

    /// <summary>True when <see cref="Pattern"/> is a regular expression (matched case-insensitively).</summary>
    public bool IsRegex { get; set; }

    /// <summary>The strategy a match selects.</summary>
    public CacheStrategy Strategy { get; set; } = CacheStrategy.Standard;

    /// <summary>Where to look. Default: <see cref="ContentScope.Either"/>.</summary>
    public ContentScope Scope { get; set; } = ContentScope.Either;

    /// <summary>Compiles <see cref="Pattern"/>; throws <see cref="ArgumentException"/> when it is not a valid regex.</summary>
    internal Regex CreateRegex()
    {
        const RegexOptions Common = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;
        try
        {
            // Linear time whatever the pattern and input: no catastrophic backtracking on a hostile prompt.
            return new Regex(Pattern, Common | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException)
        {
            // Lookarounds and backreferences need the backtracking engine; the timeout bounds it.
            return new Regex(Pattern, Common, s_regexTimeout);
        }
    }
}
