using System.Diagnostics.CodeAnalysis;
using ClaudeCache.Policy;

namespace ClaudeCache.Caching;

/// <summary>
/// The tags of an entry (<c>x-cache-tags: a,b</c>): labels an operator removes entries by
/// (<c>DELETE /admin/cache?tag=a</c>). Bounded, because every tag costs an index row per entry: at most
/// <see cref="MaxCount"/> tags of at most <see cref="MaxLength"/> characters of <c>[A-Za-z0-9._:-]</c>. Tags are not
/// part of the key: the same request with other tags is the same entry. See docs/invalidation.md.
/// </summary>
public static class CacheTags
{
    /// <summary>The most tags one entry carries.</summary>
    public const int MaxCount = 8;

    /// <summary>The longest tag.</summary>
    public const int MaxLength = 64;

    /// <summary>No tags.</summary>
    public static IReadOnlyList<string> None { get; } = [];

    /// <summary>
    /// Parses a comma-separated list (whitespace around each tag ignored, duplicates dropped). Null or blank is no
    /// tags; an empty item, a tag too long or with another character, or more than <see cref="MaxCount"/> tags is an
    /// error naming the header.
    /// </summary>
    public static bool TryParse(string? header, out IReadOnlyList<string> tags, [NotNullWhen(false)] out string? error)
    {
        tags = None;
        error = null;
        if (string.IsNullOrWhiteSpace(header))
        {
            return true;
        }

        var parsed = new List<string>();
        foreach (var range in header.AsSpan().Split(','))
        {
            var tag = header.AsSpan(range).Trim();
            if (!TryValidate(tag, out error))
            {
                return false;
            }

            var value = tag.ToString();
            if (!parsed.Contains(value, StringComparer.Ordinal))
            {
                parsed.Add(value);
            }

            if (parsed.Count > MaxCount)
            {
                error = $"{CacheHeaderNames.Tags}: at most {MaxCount} tags per request.";
                return false;
            }
        }

        tags = parsed;
        return true;
    }

    /// <summary>Checks one tag (a request's or a purge filter's).</summary>
    public static bool TryValidate(ReadOnlySpan<char> tag, [NotNullWhen(false)] out string? error)
    {
        if (tag.IsEmpty || tag.Length > MaxLength || tag.ContainsAnyExcept(Policies.LabelChars))
        {
            error = $"{CacheHeaderNames.Tags}: '{Policies.Shorten(tag)}' is not a tag; use 1 to {MaxLength} characters of A-Z, a-z, 0-9, '.', '_', ':' and '-', separated by commas.";
            return false;
        }

        error = null;
        return true;
    }
}
