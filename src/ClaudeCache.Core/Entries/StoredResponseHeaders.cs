namespace ClaudeCache.Entries;

/// <summary>
/// The upstream response headers a stored entry keeps, so that a hit carries them as the answer did: an explicit
/// allow-list, never a credential. Everything else is either the cache's own (<c>request-id</c>, <c>age</c>, the
/// <c>x-cache</c> headers), the form's (<c>content-type</c>), or describes one call and not its answer (rate limits).
/// </summary>
public static class StoredResponseHeaders
{
    /// <summary>The headers kept: the organisation the answer was produced for.</summary>
    public static IReadOnlyList<string> Names { get; } = ["anthropic-organization-id"];

    /// <summary>The allowed headers among <paramref name="headers"/>, one pair per value, named as in <see cref="Names"/>.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Select(IEnumerable<KeyValuePair<string, string[]>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        List<KeyValuePair<string, string>>? kept = null;
        foreach (var (name, values) in headers)
        {
            if (Allowed(name) is not { } allowed)
            {
                continue;
            }

            foreach (var value in values)
            {
                (kept ??= []).Add(new(allowed, value));
            }
        }

        return kept ?? [];
    }

    private static string? Allowed(string name)
    {
        foreach (var allowed in Names)
        {
            if (allowed.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return allowed;
            }
        }

        return null;
    }
}
