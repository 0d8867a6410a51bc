using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ClaudeCache.Policy;

/// <summary>
/// The directives of a request's <c>Cache-Control</c> header that the cache honours: <c>no-cache</c> (skip the
/// lookup, still store the fresh answer), <c>no-store</c> (neither look up nor store), <c>max-age=N</c>
/// (the TTL of the stored answer, in seconds, clamped to the configured bounds), and RFC 5861's
/// <c>stale-if-error=N</c> and <c>stale-while-revalidate=N</c> (docs/serve-stale.md). Other directives are ignored.
/// </summary>
/// <param name="NoCache">Skip the lookup; the fresh answer may still be stored.</param>
/// <param name="NoStore">Neither look up nor store.</param>
/// <param name="MaxAge">The requested TTL, when given.</param>
public readonly record struct CacheControlDirectives(bool NoCache, bool NoStore, TimeSpan? MaxAge)
{
    /// <summary>
    /// <c>stale-if-error=N</c>: how long past its TTL an entry may answer when the upstream fails, instead of the
    /// strategy's grace; 0 refuses a stale answer. Null when not given.
    /// </summary>
    public TimeSpan? StaleIfError { get; init; }

    /// <summary><c>stale-while-revalidate=N</c>: how long past its TTL an entry may answer at once while it is refreshed in the background. Null when not given.</summary>
    public TimeSpan? StaleWhileRevalidate { get; init; }

    private const string Header = "Cache-Control";
    private const string StaleIfErrorName = "stale-if-error";
    private const string StaleWhileRevalidateName = "stale-while-revalidate";

    /// <summary>
    /// Parses a header value (null or empty: no directives). Returns false with a message naming the header when a
    /// directive the cache honours has an invalid value, e.g. <c>max-age=abc</c> or a negative age.
    /// </summary>
    public static bool TryParse(string? header, out CacheControlDirectives directives, [NotNullWhen(false)] out string? error)
    {
        directives = default;
        error = null;
        if (string.IsNullOrWhiteSpace(header))
        {
            return true;
        }

        bool noCache = false, noStore = false;
        TimeSpan? maxAge = null, staleIfError = null, staleWhileRevalidate = null;
        foreach (var range in header.AsSpan().Split(','))
        {
            var directive = header.AsSpan()[range].Trim();
            if (directive.IsEmpty)
            {
                continue;
            }

            var equals = directive.IndexOf('=');
            var name = (equals < 0 ? directive : directive[..equals]).Trim();
            var argument = equals < 0 ? default : directive[(equals + 1)..].Trim();

            if (name.Equals("no-cache", StringComparison.OrdinalIgnoreCase))
            {
                noCache = true;
            }
            else if (name.Equals("no-store", StringComparison.OrdinalIgnoreCase))
            {
                noStore = true;
            }
            else if (name.Equals("max-age", StringComparison.OrdinalIgnoreCase))
            {
                if (!TryParseSeconds(argument, out var seconds))
                {
                    error = $"{Header}: max-age must be a whole number of seconds (0 or more), not '{Policies.Shorten(argument)}'.";
                    return false;
                }

                maxAge = TimeSpan.FromSeconds(seconds);
            }
            else if (name.Equals(StaleIfErrorName, StringComparison.OrdinalIgnoreCase) || name.Equals(StaleWhileRevalidateName, StringComparison.OrdinalIgnoreCase))
            {
                var ifError = name.Length == StaleIfErrorName.Length;
                if (!TryParseSeconds(argument, out var seconds))
                {
                    error = $"{Header}: {(ifError ? StaleIfErrorName : StaleWhileRevalidateName)} must be a whole number of seconds (0 or more), not '{Policies.Shorten(argument)}'.";
                    return false;
                }

                if (ifError)
                {
                    staleIfError = TimeSpan.FromSeconds(seconds);
                }
                else
                {
                    staleWhileRevalidate = TimeSpan.FromSeconds(seconds);
                }
            }
        }

        directives = new CacheControlDirectives(noCache, noStore, maxAge) { StaleIfError = staleIfError, StaleWhileRevalidate = staleWhileRevalidate };
        return true;
    }

    private static bool TryParseSeconds(ReadOnlySpan<char> text, out long seconds)
    {
        seconds = 0;
        // RFC 9111 allows the quoted form too.
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            text = text[1..^1];
        }

        if (text.IsEmpty || text.ContainsAnyExceptInRange('0', '9'))
        {
            return false;
        }

        // RFC 9111 §1.2.2: an age too large to represent means "as long as possible"; the TTL is clamped anyway.
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out seconds) || seconds > MaxSeconds)
        {
            seconds = MaxSeconds;
        }

        return true;
    }

    // 2^31 seconds (RFC 9111's suggested ceiling), about 68 years.
    private const long MaxSeconds = 2147483648;
}
