namespace ClaudeCache.PromptCaching;

/// <summary>
/// The shortest prompt prefix, in tokens, that Anthropic caches for a model: below it a breakpoint writes nothing
/// (and raises no error). Figures from Anthropic's documentation (late 2026); users report the real threshold can
/// be higher than documented, so measure with <c>usage.cache_creation_input_tokens</c>.
/// </summary>
public static class MinimumCacheablePrefix
{
    /// <summary>The minimum assumed for a model the table does not know.</summary>
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
        ("claude-opus-4-6", 4096),
        ("claude-opus-4-5", 4096),
        ("claude-sonnet-4", 1024),
        ("claude-sonnet-5", 1024),
        ("claude-3-7-sonnet", 1024),
        ("claude-haiku-4-5", 4096),
        ("claude-3-5-haiku", 2048),
    ];

    /// <summary>
    /// The minimum for <paramref name="model"/> (an alias, a dated snapshot id, or null), by longest id prefix that
    /// ends at a word boundary ("claude-opus-4-5" matches "claude-opus-4-5-20251101" but not "claude-opus-4-50");
    /// <see cref="Default"/> when none matches.
    /// </summary>
    public static int For(string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return Default;
        }

        var best = -1;
        var tokens = Default;
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
