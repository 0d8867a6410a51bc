namespace ClaudeCache.Testing;

/// <summary>
/// The shortest prefix, in tokens, that the simulated prompt cache stores for a model; a breakpoint below it writes
/// nothing and raises no error. Figures from Anthropic's documentation.
/// </summary>
public static class PromptCacheMinimums
{
    /// <summary>The minimum for a model the table does not know.</summary>
    public const int Default = 1024;

    // Model id prefixes; the longest matching one wins, so "claude-opus-4-5" beats "claude-opus-4".
    private static readonly (string Prefix, int Tokens)[] Table =
    [
        ("claude-fable", 512),
        ("claude-mythos", 512),
        ("claude-opus-5", 512),
        ("claude-opus-5-5", 512),
        ("claude-opus-4", 1024),
        ("claude-opus-4-0", 1024),
        ("claude-opus-4-1", 1024),
        ("claude-opus-4-8", 1024),
        ("claude-opus-4-7", 2048),
        ("claude-opus-4-5", 4096),
        ("claude-opus-4-6", 4096),
        ("claude-sonnet-4", 1024),
        ("claude-sonnet-5", 1024),
        ("claude-3-7-sonnet", 1024),
        ("claude-3-5-haiku", 2048),
        ("claude-haiku-4-5", 4096),
    ];

    /// <summary>
    /// The minimum for <paramref name="model"/> (alias or dated id), by the longest id prefix that ends at a word
    /// boundary ("claude-opus-4-5" matches "claude-opus-4-5-20251101", not "claude-opus-4-50").
    /// </summary>
    public static int For(string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return Default;
        }

        int best = -1;
        int tokens = Default;
        foreach (var (prefix, minimum) in Table)
        {
            if (prefix.Length > best
                && model.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
                && (model.Length == prefix.Length || !char.IsAsciiLetterOrDigit(model[prefix.Length])))
            {
                best = prefix.Length;
                tokens = minimum;
            }
        }

        return tokens;
    }
}
